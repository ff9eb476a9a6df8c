/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Command-line options as data: one table per subcommand gives getopt_long its options, the
 * command its usage text and the bash completion its words (libgit2's src/cli/opt.h is the
 * model). Private to tools/. */
#ifndef NFSROOT_CLI_OPT_H
#define NFSROOT_CLI_OPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>

typedef enum cli_arg {
    CLI_NO_ARG = 0,
    CLI_ARG,     /* --name VALUE or --name=VALUE */
    CLI_OPT_ARG, /* --name or --name=VALUE (getopt's optional_argument) */
} cli_arg;

/* Keys of long-only options start here; a short option's key is its letter. */
enum { CLI_KEY_FIRST = 0x110 }; /* above the common options' keys (cli.h) */

typedef struct cli_opt {
    const char *name; /* long name, without "--" */
    int key;          /* its letter for -x as well, or a CLI_KEY_FIRST+ value */
    cli_arg arg;
    const char *arg_name; /* in usage: "URI", "DIR" */
    const char *help;     /* one line in usage */
    /* What the completion offers for the value: NULL nothing, "@dir", "@file", "@domain" (from
     * virsh), or a space-separated word list. */
    const char *complete;
} cli_opt;

typedef struct cli_command {
    const char *name;
    const char *args;    /* positional arguments in usage, "" when none */
    const char *summary; /* one line in `virt-nfsroot --help` */
    const char *about;   /* the paragraph under the usage line */
    const cli_opt *opts; /* the command's own options, ended by { 0 } */
    int (*run)(int argc, char **argv);
    bool stop_at_operand; /* options end at the first operand (the global ones, before COMMAND) */
    const char *complete_args; /* what the completion offers for operands: "@domain", "@xml" */
} cli_command;

/* The options every subcommand accepts (--json, -v, -c, --config, --color, -h). */
extern const cli_opt cli_common_opts[];

/* A getopt_long parser over a command's table plus the common options. */
typedef struct cli_parser {
    const cli_command *cmd;
    struct option longopts[40];
    char shortopts[40];
} cli_parser;

enum { CLI_PARSE_DONE = 0, CLI_PARSE_HELP = -1, CLI_PARSE_USAGE = -2 };
void cli_parser_init(cli_parser *ps, const cli_command *cmd);
/* The next of the command's own options (its key; *ret_arg its value or NULL), or
 * CLI_PARSE_DONE at the end (positional arguments from optind on), CLI_PARSE_HELP after printing
 * the usage (a command whose name is "" prints its own), CLI_PARSE_USAGE after printing a usage
 * error. Common options are applied to `cli` on the way. */
int cli_parser_next(cli_parser *ps, int argc, char **argv, const char **ret_arg);
/* What a command's loop returns for a CLI_PARSE_* outcome: EXIT_OK or EXIT_USAGE. */
int cli_parse_exit(int outcome);

/* One of a command's own options: key and value (argc/argv for an option that may take the
 * next word, as --pin-address IP does). Nonzero after printing a usage error. */
typedef int (*cli_opt_fn)(void *userdata, int key, const char *arg, int argc, char **argv);
/* A command's whole command line: each of its options to fn (may be NULL when it has none),
 * at most max_operands operands (-1: the command checks them) from optind on. CLI_PARSE_DONE,
 * or CLI_PARSE_HELP / CLI_PARSE_USAGE (printed): return cli_parse_exit() of it. */
int cli_parse(const cli_command *cmd, int argc, char **argv, cli_opt_fn fn, void *userdata,
              int max_operands);

/* Usage of one command: its line, its paragraph, then every option with its help. */
void cli_command_usage(const cli_command *cmd, FILE *f);
/* One option's usage line ("  -c, --connect URI   help"). */
void cli_opt_usage(const cli_opt *o, FILE *f);
/* Bash assignments the completion script reads: commands, options per command, values. */
void cli_completion_data(const cli_command *const *cmds, size_t n, FILE *f);

#endif
