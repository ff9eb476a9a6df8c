/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the kernel command line parser and the cmdline check's messages. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bootcheck-private.h"
#include "plan.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    nfsroot_cmdline_root c;
    nfsroot_cmdline_parse(s, &c);

    /* The whole check too: every branch formats a message from parsed pieces. */
    static char *clients[] = { "192.168.122.5/32", NULL };
    nfsroot_export e = { .path = "/export/vm", .clients = clients, .is_root = true };
    nfsroot_plan plan = { .domain = "fuzz",
                          .exports = &e,
                          .n_exports = 1,
                          .server = (size & 1) ? "192.168.122.1" : NULL };
    nfsroot_initramfs_info ii = { .nfs_module = true,
                                  .kernel_versions = "6.1.0-1-amd64",
                                  .dracut = true };
    /* Split the input: the first line is the baked-in initramfs cmdline. */
    char *nl = strchr(s, '\n');
    if (nl) {
        size_t n = (size_t)(nl - s);
        if (n >= sizeof(ii.cmdline))
            n = sizeof(ii.cmdline) - 1;
        memcpy(ii.cmdline, s, n);
        ii.cmdline[n] = '\0';
    }
    nfsroot_findings *f = NULL;
    if (nfsroot_findings_new(&f) == 0) {
        nfsroot_bootcheck_cmdline(NULL, nl ? nl + 1 : s, size & 2, (size & 4) ? &ii : NULL, &plan,
                                  f);
        nfsroot_findings_free(f);
    }
    free(s);
    return 0;
}
