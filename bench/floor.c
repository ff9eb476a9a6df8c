/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The floor for the unannotated-guest benchmark: the least any hook can do. It reads stdin to EOF
 * (libvirt writes the whole domain XML into a pipe and a hook must drain it) and exits 0. Built
 * with -static by bench/run, so exec costs no dynamic loader and no libc relocation. */
#include <unistd.h>

int main(void)
{
    static char buf[65536];
    for (;;) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n == 0)
            return 0;
        if (n < 0)
            return 1;
    }
}
