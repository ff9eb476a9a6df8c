/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot: the command line for people (status, doctor, annotate, validate, reconcile,
 * create, delete).
 * A thin main: global options, then one subcommand that drives the library. */
#include <string.h>

#include "cli.h"

static const cli_command *const commands[] = {
    &cli_cmd_status,    &cli_cmd_doctor, &cli_cmd_annotate, &cli_cmd_validate,
    &cli_cmd_reconcile, &cli_cmd_create, &cli_cmd_delete,
};

enum { OPT_VERSION = CLI_KEY_FIRST, OPT_COMPLETION };
static const cli_command cli_main = {
    .name = "",
    .args = "COMMAND [ARGS...]",
    .about = cli_about_main,
    .opts =
        (const cli_opt[]){ { "version", OPT_VERSION, CLI_NO_ARG, NULL, "print the version", NULL },
                           { "completion-data", OPT_COMPLETION, CLI_NO_ARG, NULL,
                             "print the option tables for the bash completion (build time)", NULL },
                           { 0 } },
    .stop_at_operand = true,
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: virt-nfsroot [OPTIONS] COMMAND [ARGS...]\n\n%s\n\nCommands:\n",
            cli_main.about);
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(f, "\nOptions:\n");
    for (const cli_opt *o = cli_common_opts; o->name; o++)
        cli_opt_usage(o, f);
    cli_opt_usage(&cli_main.opts[0], f); /* --version; --completion-data is for the build */
}

static int run_command(int argc, char **argv)
{
    const char *name = argv[optind];
    if (!strcmp(name, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (!strcmp(name, commands[i]->name)) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* reinitialise getopt for the subcommand */
            return commands[i]->run(sub_argc, sub_argv);
        }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}

int main(int argc, char **argv)
{
    cli_parser ps;
    cli_parser_init(&ps, &cli_main);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, argc, argv, &arg)) > 0) {
        if (c == OPT_VERSION) {
            printf("virt-nfsroot %s\n", nfsroot_version());
            return EXIT_OK;
        }
        if (c == OPT_COMPLETION) {
            cli_completion_data(commands, ELEMENTSOF(commands), stdout);
            return EXIT_OK;
        }
    }
    if (c == CLI_PARSE_HELP) {
        usage(stdout);
        return EXIT_OK;
    }
    if (c < 0)
        return EXIT_USAGE;
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    return run_command(argc, argv);
}
