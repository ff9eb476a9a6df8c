/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot's libvirt qemu hook, second stage: run by qemu-hook (the front end in
 * /etc/libvirt/hooks/qemu.d) for annotated domains only, with libvirt's arguments and the domain
 * XML on stdin. Everything it does is nfsroot_hook_run(); it never calls libvirt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "read-all.h"
#include "virt-nfsroot/virt-nfsroot-private.h"

static void to_syslog(int priority, const char *line, void *userdata)
{
    (void)userdata;
    syslog(priority, "%s", line);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 0;
    bool must_succeed = !hook_may_refuse(argv[2]);
    /* The library the dynamic linker found is the one we were built with: nfsroot_hook_run is
     * in the private version node VIRT_NFSROOT_PRIVATE_<version>, so a stale copy earlier on the
     * search path is refused by the dynamic linker before main ("version ... not found"). */
    openlog("virt-nfsroot", LOG_PID, LOG_DAEMON);
    size_t len = 0;
    int status = 0;
    char *xml = hook_read_xml(argv[1], must_succeed, &len, &status);
    if (!xml)
        return status;

    nfsroot_log log = { .fn = to_syslog };
    nfsroot_hook_args a = {
        .version = NFSROOT_HOOK_ARGS_VERSION,
        .domain = argv[1],
        .op = argv[2],
        .subop = argv[3],
        .extra = argc > 4 ? argv[4] : NULL,
        .xml = xml,
        .xml_len = len,
        .log = &log,
    };
    nfsroot_error err = { 0 };
    int r = nfsroot_hook_run(&a, &err);
    free(xml);
    if (r < 0) {
        char line[2048];
        nfsroot_error_format(&err, line, sizeof(line));
        syslog(LOG_ERR, "refused: %s", line);
        fprintf(stderr, "virt-nfsroot: %s\n", line);
        return 1;
    }
    return 0;
}
