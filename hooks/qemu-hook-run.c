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
#include "virt-nfsroot/virt-nfsroot.h"

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
    /* The library the dynamic linker found must be the one we were built with: a stale copy
     * earlier on the search path would get structures it does not know and could do nothing
     * without a word. (A copy older than this check has no nfsroot_abi_id at all: the linker
     * then stops us, loudly, too.) */
    openlog("virt-nfsroot", LOG_PID, LOG_DAEMON);
    if (strcmp(nfsroot_abi_id(), NFSROOT_ABI_ID) != 0) {
        /* Also to syslog: at release and reconnect we exit 0, and libvirt keeps a successful
         * hook's stderr only in its debug log. */
        char name[512], line[1536];
        nfsroot_escape(argv[1], NFSROOT_ESCAPE_TEXT, name, sizeof(name));
        snprintf(line, sizeof(line),
                 "domain '%s': the hook was built for libvirt-nfsroot %s but loaded %s, a stale "
                 "copy elsewhere on the library path: remove it (ldconfig -p | grep "
                 "libvirt-nfsroot)",
                 name, NFSROOT_ABI_ID, nfsroot_abi_id());
        syslog(LOG_ERR, "%s", line);
        fprintf(stderr, "virt-nfsroot: %s\n", line);
        return must_succeed ? 0 : 1;
    }
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
