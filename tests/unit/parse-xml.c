/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* parse-xml FILE: exit 0 if the library accepts the domain's metadata, 1 (with the error) if not.
 */
#include <stdio.h>
#include <stdlib.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

int main(int argc, char **argv)
{
    if (argc != 2)
        return 2;
    FILE *f = fopen(argv[1], "re");
    if (!f)
        return 2;
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf), f);
    fclose(f);
    nfsroot_domain *d = NULL;
    nfsroot_error err = { 0 };
    if (nfsroot_domain_parse(buf, n, &d, &err) < 0) {
        char line[2048];
        printf("%s\n", nfsroot_error_format(&err, line, sizeof(line)));
        return 1;
    }
    int rc = nfsroot_domain_has_metadata(d) ? 0 : 3;
    nfsroot_domain_free(d);
    return rc;
}
