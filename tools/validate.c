/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot validate: everything the hook would check at start (metadata, policy, plan, boot
 * files), printed as findings, one per line. It never changes the host: no exports, no state,
 * not even the initramfs scan cache. */
#include <errno.h>
#include <string.h>

#include "cli.h"

typedef struct report {
    const char *source; /* file name or "libvirt domain NAME" */
    const char *mode;   /* policy validate mode */
    nfsroot_findings *f;
    const nfsroot_plan *plan;
    const char *domain;
    bool has_metadata;
} report;

static const char *mode_name(nfsroot_validate_mode m)
{
    return m == NFSROOT_VALIDATE_STRICT ? "strict" : m == NFSROOT_VALIDATE_WARN ? "warn" : "off";
}

DEFINE_TRIVIAL_CLEANUP_FUNC(virDomainPtr, virDomainFree)

/* The definition the next start will use. */
static int domain_xml(virConnectPtr conn, const char *name, char **ret, size_t *ret_len)
{
    _cleanup_(virDomainFreep) virDomainPtr dom = virDomainLookupByName(conn, name);
    if (!dom) {
        cli_error("domain '%s': %s", name,
                  cli_virt_no_domain() ? "no such domain (virsh list --all shows the names)"
                                       : cli_virt_error());
        return -ENOENT;
    }
    unsigned flags = virDomainIsPersistent(dom) == 1 ? VIR_DOMAIN_XML_INACTIVE : 0;
    char *xml = virDomainGetXMLDesc(dom, flags);
    if (!xml) {
        cli_error("domain '%s': cannot read its XML: %s", name, cli_virt_error());
        return -EIO;
    }
    *ret = xml;
    *ret_len = strlen(xml);
    return 0;
}

static int fetch_domain_xml(const char *name, char **ret, size_t *ret_len)
{
    char why[512];
    virConnectPtr conn = cli_connect(true, why, sizeof(why));
    if (!conn) {
        cli_error("cannot connect to libvirt at %s: %s", cli.uri ? cli.uri : DEFAULT_URI, why);
        return -ECONNREFUSED;
    }
    int r = domain_xml(conn, name, ret, ret_len);
    virConnectClose(conn);
    return r;
}

/* DOMAIN.xml, '-' (standard input) or --domain NAME; source names it for the report. */
static int read_input(const char *file, const char *domain_name, char **ret, size_t *ret_len,
                      char *source, size_t source_len)
{
    if (domain_name) {
        snprintf(source, source_len, "libvirt domain '%s'", domain_name);
        return fetch_domain_xml(domain_name, ret, ret_len);
    }
    snprintf(source, source_len, "%s", file);
    int r = !strcmp(file, "-") ? nfsroot_read_fd(STDIN_FILENO, 64u * 1024 * 1024, ret, ret_len)
                               : cli_read_file(file, 64u * 1024 * 1024, ret, ret_len);
    if (r < 0)
        cli_error("cannot read '%s': %s", file,
                  r == -EFBIG    ? "larger than 64 MiB"
                  : r == -EINVAL ? "not a regular file"
                                 : strerror(-r));
    return r;
}

static void print_text(const report *rep)
{
    const nfsroot_finding *x;
    for (size_t i = 0; (x = nfsroot_findings_get(rep->f, i)); i++) {
        nfsroot_finding_level level = nfsroot_finding_get_level(x);
        char raw[4096];
        /* Findings quote the guest's files (fstab decodes \033 and \012): one escaped line. */
        const char *line = cli_esc(nfsroot_finding_format(x, raw, sizeof(raw)));
        const char *col = level == NFSROOT_FINDING_ERROR     ? "red"
                          : level == NFSROOT_FINDING_WARNING ? "yellow"
                                                             : "green";
        const char *colon = strchr(line, ':');
        if (colon && cli_color_on(stdout))
            printf("%s%.*s%s%s\n", cli_color(stdout, col), (int)(colon - line + 1), line,
                   cli_color(stdout, "reset"), colon + 1);
        else
            printf("%s\n", line);
    }
}

static void print_json(const report *rep)
{
    json j;
    json_init(&j, stdout);
    json_begin_object(&j);
    json_kv_string(&j, "domain", rep->domain);
    json_kv_string(&j, "source", rep->source);
    json_kv_bool(&j, "metadata", rep->has_metadata);
    json_kv_string(&j, "validate_mode", rep->mode);
    json_key(&j, "exports");
    json_begin_array(&j);
    const nfsroot_export *e;
    for (size_t i = 0; rep->plan && (e = nfsroot_plan_get_export(rep->plan, i)); i++) {
        json_begin_object(&j);
        json_kv_string(&j, "path", nfsroot_export_get_path(e));
        json_kv_string(&j, "role", nfsroot_export_is_root(e) ? "root" : "extra");
        json_key(&j, "clients");
        json_begin_array(&j);
        for (const char *const *c = nfsroot_export_get_clients(e); c && *c; c++)
            json_string(&j, *c);
        json_end_array(&j);
        json_kv_string(&j, "options", nfsroot_export_get_options(e));
        json_end_object(&j);
    }
    json_end_array(&j);
    json_key(&j, "findings");
    json_begin_array(&j);
    size_t counts[3] = { 0 };
    const nfsroot_finding *x;
    for (size_t i = 0; (x = nfsroot_findings_get(rep->f, i)); i++) {
        nfsroot_finding_level level = nfsroot_finding_get_level(x);
        if ((unsigned)level < 3)
            counts[level]++;
        json_begin_object(&j);
        json_kv_string(&j, "level", nfsroot_finding_level_name(level));
        json_kv_string(&j, "code", nfsroot_finding_get_code(x));
        json_kv_string(&j, "file", nfsroot_finding_get_file(x));
        json_kv_string(&j, "message", nfsroot_finding_get_message(x));
        json_end_object(&j);
    }
    json_end_array(&j);
    json_key(&j, "counts");
    json_begin_object(&j);
    json_kv_int(&j, "error", (int64_t)counts[NFSROOT_FINDING_ERROR]);
    json_kv_int(&j, "warning", (int64_t)counts[NFSROOT_FINDING_WARNING]);
    json_kv_int(&j, "info", (int64_t)counts[NFSROOT_FINDING_INFO]);
    json_end_object(&j);
    json_kv_bool(&j, "ok", counts[NFSROOT_FINDING_ERROR] == 0);
    json_end_object(&j);
    json_finish(&j);
}

/* A refusal of the metadata/policy/plan stage, as a finding like the boot checks'. */
static void add_error(nfsroot_findings *f, const char *code, const nfsroot_error *err, int r)
{
    char line[2048];
    if (err->code)
        nfsroot_error_format(err, line, sizeof(line));
    else
        snprintf(line, sizeof(line), "%s", strerror(-r));
    nfsroot_findings_add(f, NFSROOT_FINDING_ERROR, code, err->path[0] ? err->path : NULL, "%s",
                         line);
}

/* The plan as findings: what the host exports at start. */
static void add_plan(nfsroot_findings *f, const nfsroot_domain *d, const nfsroot_plan *plan)
{
    const nfsroot_export *e;
    for (size_t i = 0; (e = nfsroot_plan_get_export(plan, i)); i++) {
        _cleanup_free_ char *line = nfsroot_export_format_line(e);
        nfsroot_findings_add(
            f, NFSROOT_FINDING_INFO, "plan", NULL, "domain '%s': at start the host exports '%s'%s",
            nfsroot_domain_get_name(d), line ? line : nfsroot_export_get_path(e),
            nfsroot_plan_is_subnet_wide(plan) ? " (subnet-wide: pin the guest's address with "
                                                "'virt-nfsroot annotate --pin-address')"
                                              : "");
    }
}

/* Boot checks as the hook runs them, but always (even with validate = off, the admin asks
 * here) and without the scan cache (state_dir NULL): validate writes nothing. */
static void add_boot_checks(nfsroot_findings *f, const nfsroot_policy *policy,
                            const nfsroot_domain *d, const nfsroot_plan *plan)
{
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *pb = NULL;
    _cleanup_(nfsroot_findings_freep) nfsroot_findings *bf = NULL;
    nfsroot_error err = { 0 };
    int r = nfsroot_policy_dup(policy, &pb);
    if (r >= 0) {
        nfsroot_policy_set_validate(pb, NFSROOT_VALIDATE_STRICT);
        r = nfsroot_policy_set_state_dir(pb, NULL);
    }
    if (r >= 0)
        r = nfsroot_bootcheck_run(pb, d, plan, &bf, &err);
    if (r < 0) {
        add_error(f, "boot-check", &err, r);
        return;
    }
    const nfsroot_finding *x;
    for (size_t i = 0; (x = nfsroot_findings_get(bf, i)); i++)
        nfsroot_findings_add(f, nfsroot_finding_get_level(x), nfsroot_finding_get_code(x),
                             nfsroot_finding_get_file(x), "%s", nfsroot_finding_get_message(x));
    nfsroot_validate_mode v = nfsroot_policy_get_validate(policy);
    if (v != NFSROOT_VALIDATE_STRICT && nfsroot_findings_has_errors(f))
        nfsroot_findings_add(f, NFSROOT_FINDING_INFO, "policy-validate",
                             nfsroot_policy_get_source(policy),
                             "the policy has 'validate = %s': the hook %s these errors and "
                             "starts the guest anyway",
                             mode_name(v), v == NFSROOT_VALIDATE_WARN ? "logs" : "does not check");
}

/* Every stage the hook runs at start, each refusal a finding; rep->domain and rep->plan point
 * into *ret_d and *ret_plan. */
static void check_domain(const nfsroot_policy *policy, const char *xml, size_t len, report *rep,
                         nfsroot_domain **ret_d, nfsroot_plan **ret_plan)
{
    nfsroot_error err = { 0 };
    int r = nfsroot_domain_parse(xml, len, ret_d, &err);
    if (r < 0) {
        add_error(rep->f, "domain-xml", &err, r);
        return;
    }
    const nfsroot_domain *d = *ret_d;
    rep->domain = nfsroot_domain_get_name(d);
    rep->has_metadata = nfsroot_domain_has_metadata(d);
    if (!rep->has_metadata) {
        nfsroot_findings_add(rep->f, NFSROOT_FINDING_INFO, "no-metadata", NULL,
                             "domain '%s' has no virt-nfsroot metadata: the hook leaves it "
                             "alone (add it with 'virt-nfsroot annotate %s')",
                             rep->domain, rep->domain);
        return;
    }
    nfsroot_error_clear(&err);
    r = nfsroot_plan_build(policy, d, NULL, ret_plan, &err);
    if (r < 0) {
        add_error(rep->f, "policy", &err, r);
        return;
    }
    rep->plan = *ret_plan;
    add_plan(rep->f, d, *ret_plan);
    add_boot_checks(rep->f, policy, d, *ret_plan);
    if (nfsroot_migration_findings(policy, d, *ret_plan, rep->f) < 0 ||
        nfsroot_backend_start_findings(policy, *ret_plan, rep->f) < 0)
        cli_error("out of memory");
}

static int validate_xml(const char *xml, size_t len, const char *source)
{
    nfsroot_error err = { 0 };
    _cleanup_(nfsroot_policy_freep) nfsroot_policy *policy = NULL;
    int r = cli_policy_load(&policy, &err);
    if (r < 0)
        return cli_lib_error(&err, r, "cannot load the policy");
    _cleanup_(nfsroot_findings_freep) nfsroot_findings *f = NULL;
    if (nfsroot_findings_new(&f) < 0) {
        cli_error("out of memory");
        return EXIT_FAIL;
    }
    _cleanup_(nfsroot_domain_freep) nfsroot_domain *d = NULL;
    _cleanup_(nfsroot_plan_freep) nfsroot_plan *plan = NULL;
    report rep = { .source = source,
                   .mode = mode_name(nfsroot_policy_get_validate(policy)),
                   .f = f };
    check_domain(policy, xml, len, &rep, &d, &plan);
    if (cli.json)
        print_json(&rep);
    else
        print_text(&rep);
    return nfsroot_findings_has_errors(f) ? EXIT_FAIL : EXIT_OK;
}

static int cmd_validate(int argc, char **argv);

enum { OPT_DOMAIN = CLI_KEY_FIRST };
const cli_command cli_cmd_validate = {
    CLI_COMMAND_TEXT(validate),
    .args = "DOMAIN.xml | --domain NAME",
    .opts =
        (const cli_opt[]){ { "domain", OPT_DOMAIN, CLI_ARG, "NAME",
                             "read the persistent definition of NAME through libvirt", "@domain" },
                           { 0 } },
    .run = cmd_validate,
    .complete_args = "@xml",
};

static int validate_opt(void *userdata, int key, const char *arg, int argc _unused_,
                        char **argv _unused_)
{
    if (key == OPT_DOMAIN)
        *(const char **)userdata = arg;
    return 0;
}

static int cmd_validate(int argc, char **argv)
{
    const char *domain_name = NULL;
    int c = cli_parse(&cli_cmd_validate, argc, argv, validate_opt, &domain_name, 1);
    if (c < 0)
        return cli_parse_exit(c);
    const char *file = optind < argc ? argv[optind] : NULL;
    if (!file == !domain_name)
        return cli_usage_error("validate", "give either DOMAIN.xml or --domain NAME");

    _cleanup_free_ char *xml = NULL;
    size_t len = 0;
    char source[600];
    if (read_input(file, domain_name, &xml, &len, source, sizeof(source)) < 0)
        return EXIT_FAIL;
    return validate_xml(xml, len, source);
}
