/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot: the command line for people (status, doctor, annotate, validate, reconcile).
 * A thin main: global options, then one subcommand that drives the library. */
#include <string.h>

#include "cli.h"

static const struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    { "status", cmd_status, "list managed exports: running domains, server state, stale ones" },
    { "doctor", cmd_doctor, "check this host for root-on-NFS guests (PASS/WARN/FAIL + fix)" },
    { "annotate", cmd_annotate, "add, change or remove a domain's virt-nfsroot metadata" },
    { "validate", cmd_validate, "check a domain XML against the policy and its boot files" },
    { "reconcile", cmd_reconcile, "remove stale exports, restore missing ones (--apply)" },
};

static void usage(FILE *f)
{
    fprintf(f, "Usage: virt-nfsroot [OPTIONS] COMMAND [ARGS...]\n"
               "\n"
               "Root-on-NFS for libvirt guests: a host directory exported over NFS while the\n"
               "guest runs. The libvirt hook does the work; this command is for people.\n"
               "\n"
               "Commands:\n");
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f,
            "\n"
            "Options (also accepted after COMMAND):\n"
            "  -h, --help            show this help (or COMMAND --help)\n"
            "      --version         print the version\n"
            "  -v, --verbose         print what is done (twice: libvirt's own errors too)\n"
            "      --json            machine-readable output on stdout (see virt-nfsroot(1))\n"
            "  -c, --connect URI     libvirt URI (default " DEFAULT_URI ")\n"
            "      --config FILE     policy file (default $VIRT_NFSROOT_CONFIG, else %s)\n"
            "      --color WHEN      auto (default: only on a terminal), always, never\n"
            "\n"
            "Exit status: 0 success, 1 failure or problems found, 2 usage error.\n",
            nfsroot_policy_default_path());
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_COMMON_LONGOPTS,
        { "version", no_argument, NULL, 'V' },
        {},
    };
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+" CLI_COMMON_SHORTOPTS, opts, NULL)) != -1) {
        int r = cli_common_opt(c, optarg, NULL);
        if (r < 0)
            return EXIT_USAGE;
        if (r > 0)
            continue;
        switch (c) {
        case 'h':
            usage(stdout);
            return EXIT_OK;
        case 'V':
            printf("virt-nfsroot %s\n", nfsroot_version());
            return EXIT_OK;
        default:
            return cli_usage_error(NULL, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return EXIT_USAGE;
    }
    const char *name = argv[optind];
    if (!strcmp(name, "help")) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < ELEMENTSOF(commands); i++)
        if (!strcmp(name, commands[i].name)) {
            int sub_argc = argc - optind;
            char **sub_argv = argv + optind;
            optind = 0; /* reinitialise getopt for the subcommand */
            return commands[i].run(sub_argc, sub_argv);
        }
    return cli_usage_error(NULL, "unknown command '%s'", name);
}
