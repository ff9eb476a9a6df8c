/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Exchanges two names with renameat2(RENAME_EXCHANGE) in a loop: a directory and a symbolic
 * link trade places atomically, as a guest or user able to write their parent could do while
 * the hook runs. Stops after SECONDS or on SIGTERM; SECONDS 0 exchanges once.
 * Usage: swapper A B SECONDS */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: swapper A B SECONDS\n");
        return 2;
    }
    time_t end = time(NULL) + atoi(argv[3]);
    unsigned long n = 0;
    do {
        if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) < 0) {
            perror("renameat2");
            return 1;
        }
        n++;
    } while (time(NULL) < end);
    printf("%lu exchanges\n", n);
    return 0;
}
