/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* dlopen-only LIB...: dlopen() each library with RTLD_LAZY | RTLD_LOCAL, as the hook loads
 * libxml2, and exit. bench/run counts its instructions with and without the library to isolate what
 * loading libvirt-nfsroot.so.0 and its dependency closure (libxml2, ICU, libdbus, ...) costs. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (!dlopen(argv[i], RTLD_LAZY | RTLD_LOCAL)) {
            fprintf(stderr, "dlopen-only: %s\n", dlerror());
            return 1;
        }
    return 0;
}
