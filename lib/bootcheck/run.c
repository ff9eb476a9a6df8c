/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Every boot check for one domain, and what the hook does with the findings. */
#include <syslog.h>

#include "backend/backend.h"
#include "bootcheck.h"

int nfsroot_bootcheck_run(const nfsroot_policy *p, const nfsroot_domain *d,
                          const nfsroot_plan *plan, nfsroot_findings **ret, nfsroot_error *err)
{
    nfsroot_findings *f = NULL;
    _cleanup_free_ char *all = NULL; /* baked-in and domain command line */
    int r = nfsroot_findings_new(&f);
    if (r < 0)
        return nfsroot_err(err, r, d ? d->name : NULL, "boot check", NULL, 0, "out of memory");
    if (p && p->validate == NFSROOT_VALIDATE_OFF) {
        *ret = f;
        return 0;
    }
    const nfsroot_export *re = bootcheck_root_export(plan);
    if (!re) {
        r = nfsroot_findings_add(f, F_INFO, "no-root-export", NULL,
                                 "the domain exports no root directory: boot checks skipped");
        goto out;
    }
    nfsroot_cmdline_root c = { 0 };
    (void)nfsroot_cmdline_parse(d->cmdline, &c);

    if (!d->kernel) {
        char want[1200];
        bootcheck_want_root(p, plan->server ? plan->server : "<host address>", re->path, want,
                            sizeof(want));
        r = nfsroot_findings_add(f, F_INFO, "boot-not-direct", NULL,
                                 "the domain boots without <os><kernel> (firmware, PXE or a "
                                 "disk): its boot loader must pass '%s ip=dhcp rw'",
                                 want);
    } else {
        nfsroot_kernel_info ki = { 0 };
        r = nfsroot_bootcheck_kernel(p, d->kernel, plan, f, &ki);
        /* ii is filled only when the image could be read (n_segments > 0 then). */
        nfsroot_initramfs_info ii = { 0 };
        if (r >= 0 && d->initrd)
            r = nfsroot_bootcheck_initramfs(p, d->initrd, plan, ki.version[0] ? &ki : NULL, f, &ii);
        bool have_ii = r >= 0 && ii.n_segments > 0;
        if (r >= 0)
            r = nfsroot_bootcheck_cmdline(p, d->cmdline, d->initrd != NULL, have_ii ? &ii : NULL,
                                          plan, f);
        if (have_ii && ii.cmdline[0]) {
            free(all);
            all = NULL;
            if (asprintf(&all, "%s %s", ii.cmdline, d->cmdline ? d->cmdline : "") >= 0)
                (void)nfsroot_cmdline_parse(all, &c);
        }
    }
    if (r >= 0)
        r = nfsroot_bootcheck_fstab(plan, f);
    if (r >= 0)
        r = nfsroot_bootcheck_distro(plan, all ? all : d->cmdline, f);
    /* Id mapping only matters to NFSv4; an explicit NFSv3 root does not care. */
    if (r >= 0 && !(c.kind == NFSROOT_ROOT_NFS && c.nfs_version == 3)) {
        r = nfsroot_bootcheck_idmap(p->idmapd_conf, plan, f);
        if (r >= 0)
            r = nfsroot_backend_boot_findings(p, f);
    }
out:
    if (r < 0) {
        nfsroot_findings_free(f);
        return nfsroot_err(err, r, d ? d->name : NULL, "boot check", NULL, 0,
                           "the boot check could not run: %s", strerror(-r));
    }
    *ret = f;
    return 0;
}

int nfsroot_bootcheck_enforce(const nfsroot_policy *p, const nfsroot_domain *d,
                              const nfsroot_findings *f, const nfsroot_log *log, nfsroot_error *err)
{
    bool strict = !p || p->validate == NFSROOT_VALIDATE_STRICT;
    const char *name = d && d->name ? d->name : "?";
    const nfsroot_finding *first = NULL;
    size_t errors = 0;
    for (size_t i = 0; f && i < f->n; i++) {
        const nfsroot_finding *it = &f->items[i];
        int prio = it->level == NFSROOT_FINDING_ERROR     ? (strict ? LOG_ERR : LOG_WARNING)
                   : it->level == NFSROOT_FINDING_WARNING ? LOG_WARNING
                                                          : LOG_INFO;
        char line[2048];
        nfsroot_logf(log, prio, "domain '%s': boot check: %s", name,
                     nfsroot_finding_format(it, line, sizeof(line)));
        if (it->level == NFSROOT_FINDING_ERROR && errors++ == 0)
            first = it;
    }
    if (!strict || !first)
        return 0;
    if (errors > 1)
        return nfsroot_err(err, -EINVAL, name, "boot check", first->file, 0,
                           "%s (and %zu more boot-check errors: run 'virt-nfsroot validate')",
                           first->message, errors - 1);
    return nfsroot_err(err, -EINVAL, name, "boot check", first->file, 0, "%s", first->message);
}
