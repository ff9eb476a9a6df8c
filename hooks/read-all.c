/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "read-all.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <unistd.h>

#include "virt-nfsroot/virt-nfsroot.h"

char *hook_read_all(int fd, size_t *ret_len, int *ret_err)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            *ret_err = ENOMEM;
            return NULL;
        }
        if (len == cap) {
            if (cap >= HOOK_STDIN_MAX) {
                free(buf);
                *ret_err = EFBIG;
                return NULL;
            }
            char *nb = realloc(buf, cap * 2);
            if (!nb)
                free(buf);
            buf = nb;
            cap *= 2;
            continue;
        }
        ssize_t n = read(fd, buf + len, cap - len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            *ret_err = errno;
            free(buf);
            return NULL;
        }
        if (n == 0)
            break;
        len += (size_t)n;
    }
    *ret_len = len;
    return buf;
}

bool hook_may_refuse(const char *op)
{
    return !strcmp(op, "prepare") || !strcmp(op, "migrate");
}

char *hook_read_xml(const char *domain, bool must_succeed, size_t *ret_len, int *ret_status)
{
    int e = 0;
    char *xml = hook_read_all(STDIN_FILENO, ret_len, &e);
    if (xml)
        return xml;
    *ret_status = 0;
    if (!must_succeed) {
        char name[1024];
        nfsroot_escape(domain, NFSROOT_ESCAPE_TEXT, name, sizeof(name));
        fprintf(stderr, "virt-nfsroot: domain '%s': cannot read the domain XML: %s\n", name,
                e == EFBIG ? "it is larger than 64 MiB" : strerror(e));
        *ret_status = 1;
    }
    return NULL;
}
