/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the policy file parser, nfsroot_policy_load() on a temporary file holding
 * the input. Invariants: a refusal carries a message naming the file; a loaded policy has
 * export roots that are normalised absolute paths other than "/". */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy.h"

static char path[PATH_MAX];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    snprintf(path, sizeof(path), "/tmp/nfsroot-fuzz-policy.%ld.conf", (long)getpid());
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "we");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    nfsroot_policy *p = NULL;
    nfsroot_error err = { 0 };
    int r = nfsroot_policy_load(path, &p, &err);
    if (r < 0 && r != -ENOMEM && !err.message[0])
        __builtin_trap();
    if (r == 0) {
        if (!p->export_roots || !p->export_roots[0])
            __builtin_trap();
        for (char **root = p->export_roots; *root; root++)
            if ((*root)[0] != '/' || !strcmp(*root, "/") || strstr(*root, "/../") ||
                strstr(*root, "//"))
                __builtin_trap();
        if (p->ganesha_export_id_min > p->ganesha_export_id_max)
            __builtin_trap();
    }
    nfsroot_policy_free(p);
    unlink(path);
    return 0;
}
