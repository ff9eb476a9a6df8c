/* virt-nfsroot: the command line for people (validate, status, doctor, annotate, reconcile). */
#include <stdio.h>
#include <string.h>

#include "virt-nfsroot/virt-nfsroot.h"

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "--version")) {
        printf("virt-nfsroot %s\n", nfsroot_version());
        return 0;
    }
    fprintf(stderr, "usage: virt-nfsroot --version\n");
    return 2;
}
