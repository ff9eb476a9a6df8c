/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Runs one data-driven case of tests/data/exports/<case>/ against the exports(5) parser
 * (lib/formats/exports.c):
 *   exports   the file as a host would have it
 *   expected  one line per entry: "LINE path='P' client='C' options='O' [cidr=A/N]", or
 *             "error: <the sentence>" when the parser refuses the file
 * NFSROOT_REGENERATE=1 rewrites expected. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

#include "cleanup.h"
#include "test.h"

static int render(const char *dir, FILE *f)
{
    size_t len = 0;
    _cleanup_free_ char *text = slurp_in(dir, "exports", &len);
    if (!text)
        return -errno;
    nfsroot_exports_entry *v = NULL;
    size_t n = 0;
    nfsroot_error err = { 0 };
    if (nfsroot_exports_parse(text, len, &v, &n, &err) < 0)
        fprintf(f, "error: %s (line %d)\n", err.message, err.line);
    for (size_t i = 0; i < n; i++) {
        nfsroot_cidr c;
        char buf[64];
        fprintf(f, "%d path='%s' client='%s' options='%s'", v[i].line, v[i].path, v[i].client,
                v[i].options);
        if (nfsroot_exports_client_cidr(v[i].client, &c) == 0)
            fprintf(f, " cidr=%s", nfsroot_cidr_format(&c, buf, sizeof(buf)));
        fputc('\n', f);
    }
    nfsroot_exports_free(v, n);
    return 0;
}

int main(int argc, char **argv)
{
    return test_case_main(argc, argv, render);
}
