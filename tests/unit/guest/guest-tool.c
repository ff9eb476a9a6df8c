/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The guest-tree calls for shell tests: "unpack ARCHIVE TARGET [MAX_BYTES [MAX_ENTRIES]]"
 * prints "ok" or "refused (CODE): MESSAGE" (exit 0 / 1), the last progress report and how many
 * files lost their setuid/setgid bits;
 * "configure TREE PASSWORD_FILE" configures TREE (hostname, server, export path and root's
 * password from the file) and prints "ok" or the refusal alike. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

static void progress(uint64_t done, uint64_t total, void *userdata)
{
    uint64_t *last = userdata;
    if (done < last[0] || done > total)
        last[2]++; /* went backwards or past the end */
    last[0] = done;
    last[1] = total;
}

static int refused(int r, const nfsroot_error *err)
{
    if (r >= 0) {
        printf("ok\n");
        return 0;
    }
    printf("refused (%s): %s\n", strerrorname_np(-r) ? strerrorname_np(-r) : "?", err->message);
    return 1;
}

static int configure(const char *root, const char *password_file)
{
    nfsroot_error err = NFSROOT_ERROR_INIT;
    nfsroot_guest_profile *p = NULL;
    nfsroot_guest_config *c = NULL;
    char *cmdline = NULL;
    int r = nfsroot_guest_profile_detect(root, &p, &err);
    if (r >= 0 && (r = nfsroot_guest_config_new(&c)) >= 0 &&
        (r = nfsroot_guest_config_set(c, NFSROOT_GUEST_HOSTNAME, "demo")) >= 0 &&
        (r = nfsroot_guest_config_set(c, NFSROOT_GUEST_SERVER, "192.168.122.1")) >= 0 &&
        (r = nfsroot_guest_config_set(c, NFSROOT_GUEST_EXPORT_PATH, root)) >= 0 &&
        (r = nfsroot_guest_config_set(c, NFSROOT_GUEST_ROOT_PASSWORD_FILE, password_file)) >= 0)
        r = nfsroot_guest_configure(root, p, c, NULL, &cmdline, &err);
    free(cmdline);
    nfsroot_guest_config_free(c);
    nfsroot_guest_profile_free(p);
    return refused(r, &err);
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "configure") == 0)
        return configure(argv[2], argv[3]);
    if (argc < 4 || strcmp(argv[1], "unpack") != 0) {
        fprintf(stderr, "usage: guest-tool unpack ARCHIVE TARGET [MAX_BYTES [MAX_ENTRIES]]\n"
                        "       guest-tool configure TREE PASSWORD_FILE\n");
        return 2;
    }
    nfsroot_guest_config *c = NULL;
    if (nfsroot_guest_config_new(&c) < 0)
        return 1;
    if ((argc > 4 && nfsroot_guest_config_set(c, NFSROOT_GUEST_UNPACK_MAX_BYTES, argv[4]) < 0) ||
        (argc > 5 && nfsroot_guest_config_set(c, NFSROOT_GUEST_UNPACK_MAX_ENTRIES, argv[5]) < 0)) {
        fprintf(stderr, "bad cap\n");
        return 2;
    }
    nfsroot_error err = NFSROOT_ERROR_INIT;
    uint64_t last[3] = { 0 };
    int r = nfsroot_guest_unpack(argv[2], argv[3], c, progress, last, &err);
    nfsroot_guest_config_free(c);
    printf("progress %" PRIu64 "/%" PRIu64 "%s\n", last[0], last[1],
           last[2] ? " (out of order)" : "");
    if (r > 0)
        printf("setuid/setgid dropped: %d\n", r);
    return refused(r, &err);
}
