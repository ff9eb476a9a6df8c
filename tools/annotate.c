/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot annotate: write (or remove) our <metadata> element through libvirt, after checking
 * it against the host policy the way the hook will at start; optionally pin the guest's address
 * (annotate-pin.c). */
#include <errno.h>
#include <stdarg.h>
#include <string.h>
#include <syslog.h>

#include "shared.h"

typedef struct warnings {
    char *v[16];
    size_t n;
} warnings;

static void warn_add(warnings *w, const char *fmt, ...) _printf_(2, 3);
static void warn_add(warnings *w, const char *fmt, ...)
{
    if (w->n >= ELEMENTSOF(w->v))
        return;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&w->v[w->n], fmt, ap) >= 0)
        w->n++;
    va_end(ap);
}

/* The plan's own warnings (e.g. a subnet-wide export) become annotate's warnings. */
static void collect_warning(int priority, const char *line, void *userdata)
{
    if (priority <= LOG_WARNING)
        warn_add(userdata, "%s", line);
    else
        cli_debug("%s", line);
}

/* Check the new element as the hook will at start: same parse, same policy, same plan. Errors
 * the host can still fix before the start (a missing directory, an inactive network) are
 * warnings; the rest refuse. */
static int check_plan(const nfsroot_domain *d, warnings *w, nfsroot_plan **ret_plan)
{
    nfsroot_error err = { 0 };
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *policy = NULL;
    int r = cli_policy_load(&policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy"), r;
    nfsroot_log log = { .fn = collect_warning, .userdata = w };
    r = nfsroot_plan_build(policy, d, &log, ret_plan, &err);
    if (r == -ENOENT || r == -ENONET || r == -ENODEV || r == -EADDRNOTAVAIL) {
        char line[2048];
        warn_add(w, "%s (the hook checks again at start)",
                 nfsroot_error_format(&err, line, sizeof(line)));
        return 0;
    }
    if (r < 0) {
        char line[2048];
        cli_error("%s", nfsroot_error_format(&err, line, sizeof(line)));
        return r;
    }
    return 0;
}

/* Multi-line text (the metadata element as libvirt returns it), each line escaped: XML 1.0
 * allows C1 controls in attribute values. */
static void print_lines(const char *text)
{
    for (const char *l = text; *l;) {
        size_t n = strcspn(l, "\n");
        _cleanup_free_ char *one = strndup(l, n);
        printf("%s\n", one ? cli_esc(one) : "?");
        l += n + (l[n] == '\n');
    }
}

/* One annotate run: the domain, what was asked, what came of it. */
typedef struct annotate_opts {
    const char *name, *path, *clients, *options, *pin_ip;
    const char *ro[32];
    size_t n_ro;
    bool remove, force, dry_run, shaped;
    pin_result pin;
} annotate_opts;

typedef struct annotate_run {
    annotate_opts *o;
    virDomainPtr dom;
    nfsroot_domain *d;
    bool running, persistent;
    const char *action; /* "set", "remove", "pin" */
    const char *metadata;
    bool live, config; /* which definitions it affects */
    nfsroot_plan *plan;
    warnings w;
} annotate_run;

static void annotate_run_done(annotate_run *a)
{
    for (size_t i = 0; i < a->w.n; i++)
        free(a->w.v[i]);
    nfsroot_plan_freep(&a->plan);
    nfsroot_domain_freep(&a->d);
    if (a->dom)
        virDomainFree(a->dom);
}

static void json_pin(json *j, const pin_result *pin)
{
    json_key(j, "pin");
    if (!pin->requested) {
        json_null(j);
        return;
    }
    json_begin_object(j);
    json_kv_string(j, "network", pin->network);
    json_kv_string(j, "mac", pin->mac);
    json_kv_string(j, "ip", pin->ip[0] ? pin->ip : NULL);
    json_kv_bool(j, "added", pin->added);
    json_end_object(j);
}

static void json_exports(json *j, const nfsroot_plan *plan)
{
    json_key(j, "exports");
    json_begin_array(j);
    const nfsroot_export *e;
    for (size_t i = 0; plan && (e = nfsroot_plan_get_export(plan, i)); i++) {
        json_begin_object(j);
        json_kv_string(j, "path", nfsroot_export_get_path(e));
        json_key(j, "clients");
        json_begin_array(j);
        for (const char *const *c = nfsroot_export_get_clients(e); c && *c; c++)
            json_string(j, *c);
        json_end_array(j);
        json_kv_string(j, "options", nfsroot_export_get_options(e));
        json_end_object(j);
    }
    json_end_array(j);
}

static void print_json(const annotate_run *a)
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    const char *uuid = nfsroot_domain_get_uuid(a->d);
    json_kv_string(&j, "domain", nfsroot_domain_get_name(a->d));
    json_kv_string(&j, "uuid", uuid[0] ? uuid : NULL);
    json_kv_string(&j, "action", a->action);
    json_kv_bool(&j, "dry_run", a->o->dry_run);
    json_key(&j, "affected");
    json_begin_array(&j);
    if (a->config)
        json_string(&j, "config");
    if (a->live && strcmp(a->action, "remove"))
        json_string(&j, "live");
    json_end_array(&j);
    json_kv_string(&j, "metadata", a->metadata);
    json_pin(&j, &a->o->pin);
    json_exports(&j, a->plan);
    json_key(&j, "warnings");
    json_begin_array(&j);
    for (size_t i = 0; i < a->w.n; i++)
        json_string(&j, a->w.v[i]);
    json_end_array(&j);
    json_end_object(&j);
    json_finish(&j);
}

static void print_text(const annotate_run *a)
{
    bool dry_run = a->o->dry_run, config = a->config, live = a->live;
    const pin_result *pin = &a->o->pin;
    for (size_t i = 0; i < a->w.n; i++)
        cli_warn("%s", a->w.v[i]);
    if (pin->requested && pin->ip[0])
        printf("%s%s %s to MAC %s on network '%s'\n", dry_run ? "would pin" : "pinned",
               pin->added ? "" : " (already)", pin->ip, pin->mac, cli_esc(pin->network));
    if (!strcmp(a->action, "remove")) {
        printf("%s the virt-nfsroot metadata of domain '%s' from its persistent config%s\n",
               dry_run ? "would remove" : "removed", cli_esc(nfsroot_domain_get_name(a->d)),
               live ? "; the running guest keeps its exports until it stops" : "");
        return;
    }
    if (strcmp(a->action, "set"))
        return;
    printf("%s%s domain '%s' (%s%s%s):\n", dry_run ? "would " : "",
           dry_run ? "annotate" : "annotated", cli_esc(nfsroot_domain_get_name(a->d)),
           config ? "persistent config" : "", config && live ? " and " : "",
           live ? "live, effective at next start" : "");
    print_lines(a->metadata ? a->metadata : "");
    const nfsroot_export *e;
    for (size_t i = 0; a->plan && (e = nfsroot_plan_get_export(a->plan, i)); i++) {
        _cleanup_free_ char *line = nfsroot_export_format_line(e);
        printf("at start it exports: %s\n", cli_esc(line ? line : nfsroot_export_get_path(e)));
    }
}

static int print_result(const annotate_run *a)
{
    if (cli.json)
        print_json(a);
    else
        print_text(a);
    return EXIT_OK;
}

/* The domain's definition the next start uses, parsed by the library. */
static int load_domain(virConnectPtr conn, annotate_run *a)
{
    const char *name = a->o->name;
    a->dom = virDomainLookupByName(conn, name);
    if (!a->dom) {
        cli_error("domain '%s': %s", name,
                  cli_virt_no_domain() ? "no such domain (virsh list --all shows the names)"
                                       : cli_virt_error());
        return -ENOENT;
    }
    a->running = virDomainIsActive(a->dom) == 1;
    a->persistent = virDomainIsPersistent(a->dom) == 1;
    _cleanup_free_ char *xml =
        virDomainGetXMLDesc(a->dom, a->persistent ? VIR_DOMAIN_XML_INACTIVE : 0);
    if (!xml) {
        cli_error("domain '%s': cannot read its XML: %s", name, cli_virt_error());
        return -EIO;
    }
    nfsroot_error err = { 0 };
    int r = nfsroot_domain_parse(xml, strlen(xml), &a->d, &err);
    if (r < 0)
        cli_lib_error(&err, r, "cannot parse the domain XML");
    return r;
}

static int annotate_remove(annotate_run *a)
{
    const char *name = a->o->name;
    if (!a->persistent) {
        cli_error("domain '%s' is transient (no persistent config to remove the element "
                  "from); it goes away when it stops",
                  name);
        return EXIT_FAIL;
    }
    if (!a->o->dry_run) {
        if (virDomainSetMetadata(a->dom, VIR_DOMAIN_METADATA_ELEMENT, NULL, NULL, NFSROOT_XMLNS,
                                 VIR_DOMAIN_AFFECT_CONFIG) < 0) {
            cli_error("domain '%s': cannot remove the metadata: %s", name, cli_virt_error());
            return EXIT_FAIL;
        }
        syslog(LOG_INFO, "domain '%s': metadata removed from the persistent config", cli_esc(name));
    }
    a->action = "remove";
    a->live = a->running;
    a->config = true;
    return print_result(a);
}

/* Write the element (stripped of its prefix) with libvirt and read back what it stored. */
static int write_metadata(annotate_run *a, const char *stripped, char **ret_readback)
{
    unsigned flags =
        (a->persistent ? VIR_DOMAIN_AFFECT_CONFIG : 0) | (a->running ? VIR_DOMAIN_AFFECT_LIVE : 0);
    if (virDomainSetMetadata(a->dom, VIR_DOMAIN_METADATA_ELEMENT, stripped, "nfsroot",
                             NFSROOT_XMLNS, flags) < 0) {
        cli_error("domain '%s': cannot write the metadata: %s", a->o->name, cli_virt_error());
        return -EIO;
    }
    syslog(LOG_INFO, "domain '%s': metadata written (%s%s)", cli_esc(a->o->name),
           a->persistent ? "config" : "", a->running ? (a->persistent ? "+live" : "live") : "");
    *ret_readback =
        virDomainGetMetadata(a->dom, VIR_DOMAIN_METADATA_ELEMENT, NFSROOT_XMLNS,
                             a->persistent ? VIR_DOMAIN_AFFECT_CONFIG : VIR_DOMAIN_AFFECT_LIVE);
    return 0;
}

static int annotate_set(annotate_run *a)
{
    annotate_opts *o = a->o;
    /* The element annotate writes replaces the domain's: the root export, then the read-only
     * ones. */
    nfsroot_domain_clear_exports(a->d);
    int r = nfsroot_domain_add_export(a->d, o->path, false, o->clients, o->options);
    for (size_t i = 0; r >= 0 && i < o->n_ro; i++)
        r = nfsroot_domain_add_export(a->d, o->ro[i], true, o->clients, NULL);
    if (r < 0) {
        cli_error("domain '%s': %s", o->name, strerror(-r));
        return EXIT_FAIL;
    }
    r = check_plan(a->d, &a->w, &a->plan);
    if (r < 0 && !o->force)
        return EXIT_FAIL;
    if (r < 0)
        warn_add(&a->w, "written despite the policy (--force): the hook will refuse the start");
    /* Without --path the root export is written as <export/>: it follows the policy's export
     * root, as the hook resolves it at start. */
    _cleanup_free_ char *stripped = nfsroot_metadata_format_bare(a->d);
    _cleanup_free_ char *readback = NULL;
    if (!stripped) {
        cli_error("domain '%s': cannot render the metadata element", o->name);
        return EXIT_FAIL;
    }
    if (!o->dry_run && write_metadata(a, stripped, &readback) < 0)
        return EXIT_FAIL;
    a->action = "set";
    a->metadata = readback ? readback : stripped;
    a->live = a->running;
    a->config = a->persistent;
    return print_result(a);
}

static int annotate(annotate_opts *o)
{
    cli_log_open();
    char why[512];
    virConnectPtr conn = cli_connect(false, why, sizeof(why));
    if (!conn) {
        cli_error("cannot connect to libvirt at %s: %s", cli.uri ? cli.uri : DEFAULT_URI, why);
        return EXIT_FAIL;
    }
    int rc = EXIT_FAIL;
    {
        _cleanup_(annotate_run_done) annotate_run a = { .o = o };
        if (load_domain(conn, &a) < 0)
            rc = EXIT_FAIL;
        else if (o->remove)
            rc = annotate_remove(&a);
        else if (o->pin.requested &&
                 annotate_pin_address(conn, a.d, o->pin_ip, o->dry_run, &o->pin) < 0)
            rc = EXIT_FAIL;
        else if (!o->shaped && nfsroot_domain_has_metadata(a.d) && o->pin.requested) {
            /* Only a pin asked for: the element stays as it is. */
            a.action = "pin";
            rc = print_result(&a);
        } else
            rc = annotate_set(&a);
    }
    virConnectClose(conn);
    return rc;
}

/* What getopt leaves: one domain name, and options that go together. */
static int check_args(annotate_opts *o, int argc, char **argv)
{
    if (optind >= argc)
        return cli_usage_error("annotate", "which domain? Give its name");
    if (optind + 1 < argc)
        return cli_usage_error("annotate", "unexpected argument '%s'", argv[optind + 1]);
    o->name = argv[optind];
    if (o->remove && (o->shaped || o->pin.requested))
        return cli_usage_error("annotate", "--remove takes no export or pin options");
    if (o->path && o->path[0] != '/')
        return cli_usage_error("annotate", "--path '%s' is not an absolute path", o->path);
    for (size_t i = 0; i < o->n_ro; i++)
        if (o->ro[i][0] != '/')
            return cli_usage_error("annotate", "--readonly-export '%s' is not an absolute path",
                                   o->ro[i]);
    return EXIT_OK;
}

static int cmd_annotate(int argc, char **argv);

enum {
    OPT_PATH = CLI_KEY_FIRST,
    OPT_RO,
    OPT_CLIENTS,
    OPT_OPTIONS,
    OPT_REMOVE,
    OPT_PIN,
    OPT_FORCE,
    OPT_DRY,
};
const cli_command cli_cmd_annotate = {
    CLI_COMMAND_TEXT(annotate),
    .args = "DOMAIN",
    .opts =
        (const cli_opt[]){
            { "path", OPT_PATH, CLI_ARG, "P",
              "the root export (default: <first export root>/DOMAIN)", "@dir" },
            { "readonly-export", OPT_RO, CLI_ARG, "P", "an extra read-only export (repeatable)",
              "@dir" },
            { "clients", OPT_CLIENTS, CLI_ARG, "CIDR",
              "who may mount (default: the pinned address, else the subnet)", NULL },
            { "options", OPT_OPTIONS, CLI_ARG, "OPTS",
              "exports(5) options for the root export (policy-checked)", NULL },
            { "pin-address", OPT_PIN, CLI_OPT_ARG, "IP",
              "a static DHCP host for the domain's MAC (live and config): IP or the next free",
              NULL },
            { "remove", OPT_REMOVE, CLI_NO_ARG, NULL,
              "remove the element from the persistent config (a running guest keeps its exports)",
              NULL },
            { "force", OPT_FORCE, CLI_NO_ARG, NULL, "write what the policy refuses", NULL },
            { "dry-run", OPT_DRY, CLI_NO_ARG, NULL, "print what would be written, change nothing",
              NULL },
            { 0 } },
    .sets = (const cli_set[]){ CLI_SET_FLAG(OPT_REMOVE, annotate_opts, remove),
                               CLI_SET_FLAG(OPT_FORCE, annotate_opts, force),
                               CLI_SET_FLAG(OPT_DRY, annotate_opts, dry_run),
                               { 0 } },
    .run = cmd_annotate,
    .complete_args = "@domain",
};

/* One option of annotate's into o; <0 after a usage error (printed). */
static int annotate_opt(void *userdata, int c, const char *arg, int argc, char **argv)
{
    annotate_opts *o = userdata;
    switch (c) {
    case OPT_PATH:
        o->path = arg;
        o->shaped = true;
        break;
    case OPT_CLIENTS:
        o->clients = arg;
        o->shaped = true;
        break;
    case OPT_OPTIONS:
        o->options = arg;
        o->shaped = true;
        break;
    case OPT_RO:
        if (o->n_ro >= ELEMENTSOF(o->ro))
            return cli_usage_error("annotate", "at most %zu --readonly-export", ELEMENTSOF(o->ro));
        o->ro[o->n_ro++] = arg;
        o->shaped = true;
        break;
    case OPT_PIN:
        o->pin.requested = true;
        o->pin_ip = annotate_pin_arg(arg, argc, argv);
        break;
    }
    return 0;
}

static int cmd_annotate(int argc, char **argv)
{
    annotate_opts o = { 0 };
    int c = cli_parse(&cli_cmd_annotate, argc, argv, annotate_opt, &o, -1);
    if (c < 0)
        return cli_parse_exit(c);
    int r = check_args(&o, argc, argv);
    return r != EXIT_OK ? r : annotate(&o);
}
