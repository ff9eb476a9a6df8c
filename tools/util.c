/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot CLI: output, colour, JSON, logging and libvirt helpers shared by subcommands. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include <libvirt/virterror.h>

#include "cli.h"

cli_globals cli;

/* A copy of s escaped in style, or NULL (ENOMEM). */
static char *escape_dup(const char *s, nfsroot_escape_style style)
{
    size_t n = nfsroot_escape(s, style, NULL, 0) + 1;
    char *e = malloc(n);
    if (e)
        nfsroot_escape(s, style, e, n);
    return e;
}

const char *cli_esc(const char *s)
{
    /* A ring, so one printf can take several: each slot lives until CLI_ESC_SLOTS more calls. */
    static char *ring[CLI_ESC_SLOTS];
    static size_t next;
    if (!s)
        return NULL;
    char **slot = &ring[next++ % CLI_ESC_SLOTS];
    free(*slot);
    *slot = escape_dup(s, NFSROOT_ESCAPE_TEXT);
    return *slot ? *slot : "?";
}

/* Messages name domains, paths and libvirt's words: escaped as a whole, like the library's log
 * lines, so no argument can end the line or reach the terminal as a control. */
static void put_escaped(FILE *f, const char *fmt, va_list ap) _printf_(2, 0);
static void put_escaped(FILE *f, const char *fmt, va_list ap)
{
    _cleanup_free_ char *raw = NULL;
    if (vasprintf(&raw, fmt, ap) < 0) {
        fputs("(out of memory)", f);
        return;
    }
    _cleanup_free_ char *e = escape_dup(raw, NFSROOT_ESCAPE_TEXT);
    fputs(e ? e : "(out of memory)", f);
}

static void vmsg(const char *kind, const char *fmt, va_list ap) _printf_(2, 0);
static void vmsg(const char *kind, const char *fmt, va_list ap)
{
    const char *on = "", *off = "";
    if (kind && cli_color_on(stderr)) {
        on = !strcmp(kind, "error") ? "\033[1;31m" : "\033[1;33m";
        off = "\033[0m";
    }
    fputs("virt-nfsroot: ", stderr);
    if (kind)
        fprintf(stderr, "%s%s:%s ", on, kind, off);
    put_escaped(stderr, fmt, ap);
    fputc('\n', stderr);
}

void cli_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, fmt, ap);
    va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vmsg("warning", fmt, ap);
    va_end(ap);
}

void cli_debug(const char *fmt, ...)
{
    if (!cli.verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    vmsg(NULL, fmt, ap);
    va_end(ap);
}

int cli_lib_error(const nfsroot_error *err, int r, const char *what)
{
    char line[2048];
    if (err && err->code)
        cli_error("%s", nfsroot_error_format(err, line, sizeof(line)));
    else
        cli_error("%s: %s", what, strerror(r < 0 ? -r : r));
    return EXIT_FAIL;
}

int cli_records_load(const nfsroot_policy *policy, cli_records *ret)
{
    nfsroot_error err = { 0 };
    int r = nfsroot_state_list_all(policy, &ret->v, &ret->n, &ret->bad, &ret->n_bad, &err);
    if (r < 0)
        cli_lib_error(&err, r, "cannot read the state directory");
    return r;
}

void cli_records_done(cli_records *r)
{
    nfsroot_state_list_free(r->v, r->n);
    nfsroot_state_bad_free(r->bad, r->n_bad);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("virt-nfsroot: ", stderr);
    if (cmd)
        fprintf(stderr, "%s: ", cmd);
    put_escaped(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'virt-nfsroot %s%s--help'.\n", cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

int cli_common_opt(int c, const char *arg, const char *cmd)
{
    switch (c) {
    case OPT_JSON:
        cli.json = true;
        return 1;
    case 'v':
        cli.verbose++;
        return 1;
    case 'c':
        cli.uri = arg;
        return 1;
    case OPT_CONFIG:
        cli.config = arg;
        return 1;
    case OPT_COLOR:
        if (!strcmp(arg, "auto"))
            cli.color = COLOR_AUTO;
        else if (!strcmp(arg, "always"))
            cli.color = COLOR_ALWAYS;
        else if (!strcmp(arg, "never"))
            cli.color = COLOR_NEVER;
        else {
            cli_usage_error(cmd, "--color takes 'auto', 'always' or 'never', not '%s'", arg);
            return -1;
        }
        return 1;
    default:
        return 0;
    }
}

bool cli_color_on(FILE *f)
{
    if (cli.color == COLOR_ALWAYS)
        return true;
    if (cli.color == COLOR_NEVER || getenv("NO_COLOR"))
        return false;
    const char *term = getenv("TERM");
    if (term && !strcmp(term, "dumb"))
        return false;
    return isatty(fileno(f));
}

const char *cli_color(FILE *f, const char *which)
{
    if (!cli_color_on(f))
        return "";
    if (!strcmp(which, "red"))
        return "\033[1;31m";
    if (!strcmp(which, "green"))
        return "\033[1;32m";
    if (!strcmp(which, "yellow"))
        return "\033[1;33m";
    if (!strcmp(which, "bold"))
        return "\033[1m";
    return "\033[0m";
}

static void log_line(int priority, const char *line, void *userdata)
{
    (void)userdata;
    /* Actions and warnings go to syslog like the hook's; detail only with -v. */
    if (priority <= LOG_INFO)
        syslog(priority, "%s", line);
    if (cli.verbose || priority <= LOG_WARNING)
        fprintf(stderr, "virt-nfsroot: %s\n", line);
}

const nfsroot_log cli_log = { .fn = log_line };

void cli_log_open(void)
{
    openlog("virt-nfsroot", LOG_PID, LOG_DAEMON);
}

int cli_policy_load(nfsroot_policy **ret, nfsroot_error *err)
{
    int r = nfsroot_policy_load(cli.config, ret, err);
    const char *src = r == 0 ? nfsroot_policy_get_source(*ret) : NULL;
    if (r == 0)
        cli_debug("policy: %s", src ? src : "built-in defaults");
    return r;
}

/* libvirt prints every error on stderr unless told otherwise; we report our own way. */
static void quiet_virt_error(void *userdata, virErrorPtr e)
{
    (void)userdata;
    if (cli.verbose > 1 && e && e->message)
        fprintf(stderr, "virt-nfsroot: libvirt: %s\n", cli_esc(e->message)); /* quotes XML */
}

virConnectPtr cli_connect(bool readonly, char *why, size_t len)
{
    virSetErrorFunc(NULL, quiet_virt_error);
    const char *uri = cli.uri ? cli.uri : DEFAULT_URI;
    cli_debug("connecting to %s%s", uri, readonly ? " (read-only)" : "");
    virConnectPtr c = readonly ? virConnectOpenReadOnly(uri) : virConnectOpen(uri);
    if (!c && why)
        snprintf(why, len, "%s", cli_virt_error());
    return c;
}

const char *cli_virt_error(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->message ? e->message : "unknown error";
}

bool cli_virt_no_domain(void)
{
    virErrorPtr e = virGetLastError();
    return e && e->code == VIR_ERR_NO_DOMAIN;
}

int cli_file_arg_check(const char *cmd, const char *opt, const char *path)
{
    /* O_NONBLOCK: a FIFO without a writer would block open(2) for ever. */
    _cleanup_close_ int fd = nfsroot_host_open(AT_FDCWD, path, O_RDONLY | O_NOCTTY | O_NONBLOCK);
    struct stat st;
    int r = fd < 0 ? fd : fstat(fd, &st) < 0 ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
    if (r == -EINVAL)
        cli_error("%s: %s '%s' is not a regular file", cmd, opt, path);
    else if (r < 0)
        cli_error("%s: %s '%s' cannot be opened: %s", cmd, opt, path, strerror(-r));
    return r < 0 ? EXIT_USAGE : 0;
}

int cli_read_file(const char *path, size_t max, char **ret, size_t *ret_len)
{
    return nfsroot_host_read(AT_FDCWD, path, max, ret, ret_len);
}

/* ---------------------------------------------------------------------------------------- */

void json_init(json *j, FILE *f)
{
    memset(j, 0, sizeof(*j));
    j->f = f;
    j->pretty = true;
}

static void indent(json *j)
{
    if (!j->pretty)
        return;
    fputc('\n', j->f);
    for (int i = 0; i < j->depth; i++)
        fputs("  ", j->f);
}

/* Before any value: a comma and a new line unless it follows a key. */
static void before_value(json *j)
{
    if (j->after_key) {
        j->after_key = false;
        return;
    }
    if (j->depth > 0) {
        if (j->need_comma[j->depth])
            fputc(',', j->f);
        indent(j);
    }
    if (j->depth < (int)ELEMENTSOF(j->need_comma))
        j->need_comma[j->depth] = true;
}

static void begin(json *j, char c)
{
    before_value(j);
    fputc(c, j->f);
    j->depth++;
    j->need_comma[j->depth] = false;
}

static void end(json *j, char c)
{
    bool had = j->need_comma[j->depth];
    j->depth--;
    if (had)
        indent(j);
    fputc(c, j->f);
}

void json_begin_object(json *j)
{
    begin(j, '{');
}
void json_end_object(json *j)
{
    end(j, '}');
}
void json_begin_array(json *j)
{
    begin(j, '[');
}
void json_end_array(json *j)
{
    end(j, ']');
}

/* RFC 8259 through the one escaping function: controls as \u00XX, C1 included. */
static void write_string(FILE *f, const char *s)
{
    char buf[1024];
    size_t n = nfsroot_escape(s, NFSROOT_ESCAPE_JSON, buf, sizeof(buf));
    _cleanup_free_ char *big = n < sizeof(buf) ? NULL : escape_dup(s, NFSROOT_ESCAPE_JSON);
    fputc('"', f);
    fputs(big ? big : buf, f);
    fputc('"', f);
}

void json_key(json *j, const char *key)
{
    before_value(j);
    write_string(j->f, key);
    fputs(j->pretty ? ": " : ":", j->f);
    j->after_key = true;
}

void json_string(json *j, const char *s)
{
    before_value(j);
    if (s)
        write_string(j->f, s);
    else
        fputs("null", j->f);
}

void json_int(json *j, int64_t v)
{
    before_value(j);
    fprintf(j->f, "%lld", (long long)v);
}

void json_double(json *j, double v)
{
    before_value(j);
    fprintf(j->f, "%.1f", v);
}

void json_bool(json *j, bool v)
{
    before_value(j);
    fputs(v ? "true" : "false", j->f);
}

void json_null(json *j)
{
    before_value(j);
    fputs("null", j->f);
}

void json_finish(json *j)
{
    fputc('\n', j->f);
    fflush(j->f);
}

void json_kv_string(json *j, const char *key, const char *s)
{
    json_key(j, key);
    json_string(j, s);
}

void json_kv_int(json *j, const char *key, int64_t v)
{
    json_key(j, key);
    json_int(j, v);
}

void json_kv_bool(json *j, const char *key, bool v)
{
    json_key(j, key);
    json_bool(j, v);
}

/* ---------------------------------------------------------------------------------------- */

tri cli_domain_running(virConnectPtr conn, const char *name, const char *uuid, char *note,
                       size_t len)
{
    if (!conn)
        return TRI_UNKNOWN;
    virDomainPtr dom =
        name ? virDomainLookupByName(conn, name) : virDomainLookupByUUIDString(conn, uuid);
    if (!dom) {
        if (cli_virt_no_domain()) {
            snprintf(note, len, "domain is not defined in libvirt");
            return TRI_NO;
        }
        snprintf(note, len, "libvirt: %s", cli_virt_error());
        return TRI_UNKNOWN;
    }
    tri t = TRI_UNKNOWN;
    char u[VIR_UUID_STRING_BUFLEN];
    if (name && uuid && uuid[0] && virDomainGetUUIDString(dom, u) == 0 && strcasecmp(u, uuid)) {
        snprintf(note, len, "the domain of this name now has uuid %s, not %s", u, uuid);
        t = TRI_NO;
    } else {
        int a = virDomainIsActive(dom);
        t = a == 1 ? TRI_YES : a == 0 ? TRI_NO : TRI_UNKNOWN;
        if (a != 1)
            snprintf(note, len, "%s", a == 0 ? "domain is shut off" : "libvirt cannot tell");
    }
    virDomainFree(dom);
    return t;
}
