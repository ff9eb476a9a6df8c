/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Options as data: getopt_long tables, usage text and completion words from one table. */
#include <string.h>

#include "cli.h"
#include "opt.h"

const cli_opt cli_common_opts[] = {
    { "json", OPT_JSON, CLI_NO_ARG, NULL, "machine-readable output on stdout", NULL },
    { "verbose", 'v', CLI_NO_ARG, NULL, "print what is done (twice: libvirt's errors too)", NULL },
    { "connect", 'c', CLI_ARG, "URI", "libvirt URI (default " DEFAULT_URI ")",
      "qemu:///system qemu:///session" },
    { "config", OPT_CONFIG, CLI_ARG, "FILE", "policy file (default $VIRT_NFSROOT_CONFIG)",
      "@file" },
    { "color", OPT_COLOR, CLI_ARG, "WHEN", "auto (only on a terminal), always, never",
      "auto always never" },
    { "help", 'h', CLI_NO_ARG, NULL, "show this help", NULL },
    { 0 },
};

static void add_opt(cli_parser *ps, size_t *nl, size_t *ns, const cli_opt *o)
{
    static const int has_arg[] = { no_argument, required_argument, optional_argument };
    if (*nl + 1 < ELEMENTSOF(ps->longopts))
        ps->longopts[(*nl)++] = (struct option){ o->name, has_arg[o->arg], NULL, o->key };
    if (o->key < 0x80 && *ns + 3 < sizeof(ps->shortopts)) {
        ps->shortopts[(*ns)++] = (char)o->key;
        for (int i = 0; i < (int)o->arg; i++)
            ps->shortopts[(*ns)++] = ':'; /* ":" takes a value, "::" may */
    }
}

void cli_parser_init(cli_parser *ps, const cli_command *cmd)
{
    memset(ps, 0, sizeof(*ps));
    ps->cmd = cmd;
    size_t nl = 0, ns = 0;
    if (cmd->stop_at_operand)
        ps->shortopts[ns++] = '+';
    ps->shortopts[ns++] = ':'; /* a missing value comes back as ':', not '?' */
    for (const cli_opt *o = cli_common_opts; o->name; o++)
        add_opt(ps, &nl, &ns, o);
    for (const cli_opt *o = cmd->opts; o && o->name; o++)
        add_opt(ps, &nl, &ns, o);
}

int cli_parser_next(cli_parser *ps, int argc, char **argv, const char **ret_arg)
{
    const char *name = ps->cmd->name[0] ? ps->cmd->name : NULL; /* "": the global options */
    for (;;) {
        opterr = 0;
        int c = getopt_long(argc, argv, ps->shortopts, ps->longopts, NULL);
        *ret_arg = optarg;
        if (c == -1)
            return CLI_PARSE_DONE;
        if (c == 'h') {
            if (name)
                cli_command_usage(ps->cmd, stdout);
            return CLI_PARSE_HELP;
        }
        int r = cli_common_opt(c, optarg, name);
        if (r < 0)
            return CLI_PARSE_USAGE;
        if (r > 0)
            continue;
        if (c == '?' || c == ':') {
            if (optopt && optopt < 0x80 && c == ':')
                cli_usage_error(name, "option '-%c' needs a value", optopt);
            else if (optopt && c == ':')
                cli_usage_error(name, "option '%s' needs a value", argv[optind - 1]);
            else
                cli_usage_error(name, "unknown option '%s'", argv[optind - 1]);
            return CLI_PARSE_USAGE;
        }
        return c;
    }
}

/* The command's .sets: the value stored in its options struct; false when it stores none. */
static bool opt_store(const cli_command *cmd, int key, const char *arg, void *userdata)
{
    const cli_set *set = cmd->sets;
    while (set && set->key && set->key != key)
        set++;
    if (!set || !set->key)
        return false;
    if (set->flag)
        *(bool *)((char *)userdata + set->at) = true;
    else
        *(const char **)((char *)userdata + set->at) = arg;
    return true;
}

int cli_parse(const cli_command *cmd, int argc, char **argv, cli_opt_fn fn, void *userdata,
              int max_operands)
{
    cli_parser ps;
    cli_parser_init(&ps, cmd);
    const char *arg;
    int c;
    while ((c = cli_parser_next(&ps, argc, argv, &arg)) > 0) {
        bool stored = opt_store(cmd, c, arg, userdata);
        if (fn ? fn(userdata, c, arg, argc, argv) != 0 : !stored)
            return CLI_PARSE_USAGE;
    }
    if (c < 0)
        return c;
    if (max_operands >= 0 && argc - optind > max_operands) {
        cli_usage_error(cmd->name, "unexpected argument '%s'", argv[optind + max_operands]);
        return CLI_PARSE_USAGE;
    }
    return CLI_PARSE_DONE;
}

int cli_parse_exit(int outcome)
{
    return outcome == CLI_PARSE_HELP ? EXIT_OK : EXIT_USAGE;
}

void cli_opt_usage(const cli_opt *o, FILE *f)
{
    char head[64], shortname[8] = "    ";
    if (o->key < 0x80)
        snprintf(shortname, sizeof(shortname), "-%c, ", o->key);
    const char *an = o->arg_name ? o->arg_name : "";
    if (o->arg == CLI_OPT_ARG)
        snprintf(head, sizeof(head), "%s--%s[=%s]", shortname, o->name, an);
    else if (o->arg == CLI_ARG)
        snprintf(head, sizeof(head), "%s--%s %s", shortname, o->name, an);
    else
        snprintf(head, sizeof(head), "%s--%s", shortname, o->name);
    fprintf(f, "  %-22s %s\n", head, o->help);
}

void cli_command_usage(const cli_command *cmd, FILE *f)
{
    fprintf(f, "Usage: virt-nfsroot %s [OPTIONS]%s%s\n\n%s\n", cmd->name, cmd->args[0] ? " " : "",
            cmd->args, cmd->about);
    if (cmd->opts && cmd->opts[0].name) {
        fprintf(f, "\nOptions:\n");
        for (const cli_opt *o = cmd->opts; o->name; o++)
            cli_opt_usage(o, f);
    }
    fprintf(f, "\nCommon options:\n");
    for (const cli_opt *o = cli_common_opts; o->name; o++)
        cli_opt_usage(o, f);
}

static void print_words(const cli_opt *opts, FILE *f)
{
    for (const cli_opt *o = opts; o && o->name; o++) {
        if (o->key < 0x80)
            fprintf(f, " -%c", o->key);
        fprintf(f, " --%s", o->name);
    }
}

/* CLI_OPT_ARG options are "@optional": nothing to offer, and the next word is no value. */
static void print_values(const cli_opt *opts, FILE *f)
{
    for (const cli_opt *o = opts; o && o->name; o++) {
        if (!o->arg)
            continue;
        const char *v = o->arg == CLI_OPT_ARG ? "@optional" : o->complete ? o->complete : "";
        fprintf(f, "    [--%s]='%s'\n", o->name, v);
        if (o->key < 0x80)
            fprintf(f, "    [-%c]='%s'\n", o->key, v);
    }
}

void cli_completion_data(const cli_command *const *cmds, size_t n, FILE *f)
{
    fprintf(f, "# Generated by `virt-nfsroot --completion-data` from the option tables.\n");
    fprintf(f, "_virt_nfsroot_commands='");
    for (size_t i = 0; i < n; i++)
        fprintf(f, "%s ", cmds[i]->name);
    fprintf(f, "help'\n_virt_nfsroot_global='--version");
    print_words(cli_common_opts, f);
    fprintf(f, "'\ndeclare -A _virt_nfsroot_opts=(\n");
    for (size_t i = 0; i < n; i++) {
        fprintf(f, "    [%s]='", cmds[i]->name);
        print_words(cmds[i]->opts, f);
        fprintf(f, "'\n");
    }
    fprintf(f, ")\n# What follows an option that takes a value: @dir, @file, @domain or words.\n"
               "declare -A _virt_nfsroot_values=(\n");
    print_values(cli_common_opts, f);
    for (size_t i = 0; i < n; i++)
        print_values(cmds[i]->opts, f);
    fprintf(f, ")\n# What a command's operands are.\ndeclare -A _virt_nfsroot_args=(\n");
    for (size_t i = 0; i < n; i++)
        if (cmds[i]->complete_args)
            fprintf(f, "    [%s]='%s'\n", cmds[i]->name, cmds[i]->complete_args);
    fprintf(f, ")\n");
}
