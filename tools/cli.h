/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot CLI: what the subcommands share (options, output, JSON, libvirt). Private. */
#ifndef NFSROOT_CLI_H
#define NFSROOT_CLI_H

#include <stdbool.h>
#include <stdint.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include <libvirt/libvirt.h>

#include "cleanup.h"
#include "macro.h"
#include "opt.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

/* Exit codes, the same for every subcommand (documented in virt-nfsroot(1)). */
enum {
    EXIT_OK = 0,    /* done; or the report found nothing wrong */
    EXIT_FAIL = 1,  /* an operation failed, or the report found a problem */
    EXIT_USAGE = 2, /* bad command line */
};

#define DEFAULT_URI "qemu:///system"

typedef enum cli_color_mode { COLOR_AUTO = 0, COLOR_ALWAYS, COLOR_NEVER } cli_color_mode;

/* Options every subcommand accepts, before or after its name. */
typedef struct cli_globals {
    int verbose;
    bool json;
    const char *uri;    /* --connect, NULL: DEFAULT_URI */
    const char *config; /* --config, NULL: $VIRT_NFSROOT_CONFIG, else the default path */
    cli_color_mode color;
} cli_globals;

extern cli_globals cli;

/* "virt-nfsroot: <message>" on stderr. */
void cli_error(const char *fmt, ...) _printf_(1, 2);
void cli_warn(const char *fmt, ...) _printf_(1, 2);
/* Only with -v. */
void cli_debug(const char *fmt, ...) _printf_(1, 2);
/* The library's error as the one line a user sees; returns EXIT_FAIL. */
int cli_lib_error(const nfsroot_error *err, int r, const char *what);
/* A usage error: message, a hint to --help, returns EXIT_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...) _printf_(2, 3);

/* s escaped for a terminal (NFSROOT_ESCAPE_TEXT), for printf arguments a guest or an XML
 * author controls (domain names, paths, findings). NULL stays NULL. The copy lives until
 * CLI_ESC_SLOTS more calls: enough for every argument of one printf. */
#define CLI_ESC_SLOTS 16
const char *cli_esc(const char *s);

/* Colour: ANSI sequences for f when colour is on for it, "" otherwise. */
bool cli_color_on(FILE *f);
const char *cli_color(FILE *f, const char *which /* "red", "green", "yellow", "bold", "reset" */);

/* Library log lines: syslog (LOG_DAEMON, ident virt-nfsroot) for actions, mirrored on stderr
 * with -v. */
extern const nfsroot_log cli_log;
void cli_log_open(void);

/* Load the policy named by --config / $VIRT_NFSROOT_CONFIG / the default path. */
int cli_policy_load(nfsroot_policy **ret, nfsroot_error *err);

/* libvirt: open a connection (read-only or not) with libvirt's own stderr printing silenced.
 * Returns NULL and fills why (its last error) when it cannot connect. */
virConnectPtr cli_connect(bool readonly, char *why, size_t len);
/* libvirt's last error message (or "unknown error"). */
const char *cli_virt_error(void);
/* Is the last libvirt error "no such domain"? */
bool cli_virt_no_domain(void);

typedef enum { TRI_NO = 0, TRI_YES = 1, TRI_UNKNOWN = -1 } tri;
/* Is the domain (looked up by name, else by uuid) running? A domain of that name with another
 * uuid than the record's is not ours: TRI_NO. TRI_UNKNOWN without a connection or when libvirt
 * cannot tell. note says why when it is not TRI_YES (left alone otherwise). */
tri cli_domain_running(virConnectPtr conn, const char *name, const char *uuid, char *note,
                       size_t len);

/* The state dir's records, and those it could not read (status and reconcile). */
typedef struct cli_records {
    nfsroot_state **v;
    size_t n;
    nfsroot_state_bad *bad;
    size_t n_bad;
} cli_records;
/* 0, or -errno after printing why. */
int cli_records_load(const nfsroot_policy *policy, cli_records *ret);
void cli_records_done(cli_records *r); /* for _cleanup_ */

/* A regular file only (-EINVAL otherwise; -EFBIG over max): a FIFO or a device given as a file
 * is refused, never waited on (nfsroot_host_read). */
int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len);
/* A FILE argument (--ssh-key, --root-password-file, --from-tarball): 0 when it opens as a
 * regular file, else EXIT_USAGE after one sentence naming the option. */
int cli_file_arg_check(const char *cmd, const char *opt, const char *path);

/* A tiny streaming JSON writer (commas and escaping handled). */
typedef struct json {
    FILE *f;
    int depth;
    bool need_comma[64];
    bool after_key;
    bool pretty;
} json;

void json_init(json *j, FILE *f);
void json_begin_object(json *j);
void json_end_object(json *j);
void json_begin_array(json *j);
void json_end_array(json *j);
void json_key(json *j, const char *key);
void json_string(json *j, const char *s); /* NULL writes null */
void json_int(json *j, int64_t v);
void json_double(json *j, double v); /* one decimal: seconds */
void json_bool(json *j, bool v);
void json_null(json *j);
void json_finish(json *j); /* trailing newline */
/* Shortcuts for "key": value. */
void json_kv_string(json *j, const char *key, const char *s);
void json_kv_int(json *j, const char *key, int64_t v);
void json_kv_bool(json *j, const char *key, bool v);

/* Subcommands: argc/argv start at the subcommand's name. */
/* The subcommands, each defined with its option table in its own file (opt.h). */
extern const cli_command cli_cmd_status, cli_cmd_doctor, cli_cmd_annotate, cli_cmd_validate,
    cli_cmd_reconcile, cli_cmd_create, cli_cmd_delete;

/* Keys of the common options (opt.c's table; a command's own start at CLI_KEY_FIRST). */
enum { OPT_JSON = 0x100, OPT_CONFIG, OPT_COLOR };
/* Handle a common option returned by getopt_long. 1 handled, 0 not common, -1 usage error
 * (printed). */
int cli_common_opt(int c, const char *arg, const char *cmd);

#endif
