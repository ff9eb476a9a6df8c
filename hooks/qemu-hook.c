/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* virt-nfsroot's libvirt qemu hook, front end: /etc/libvirt/hooks/qemu.d/virt-nfsroot links here.
 *
 * libvirtd runs it for every guest on the host, with the domain XML on stdin. Most guests carry
 * no metadata of ours, so this program is linked statically against libc alone (no dynamic
 * loader, no libxml2): it reads stdin, looks for our namespace and leaves at once when it is
 * absent. For an annotated guest it hands over to qemu-hook-run, its sibling in the same
 * directory (the one that links libvirt-nfsroot), with the same arguments and the XML it read
 * on stdin again (a memfd). Neither program ever calls libvirt (that would deadlock libvirtd). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syslog.h>
#include <unistd.h>

#include "read-all.h"
#include "virt-nfsroot/virt-nfsroot.h"

#define RUNNER "qemu-hook-run"

/* The runner's path: next to our own executable (/proc/self/exe is the link's target, so the
 * symlink in qemu.d resolves to the real directory). */
static int runner_path(char *buf, size_t size)
{
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    if (n <= 0)
        return -errno;
    self[n] = '\0';
    char *slash = strrchr(self, '/');
    if (!slash)
        return -ENOENT;
    *slash = '\0';
    if ((size_t)snprintf(buf, size, "%s/%s", self, RUNNER) >= size)
        return -ENAMETOOLONG;
    return 0;
}

/* Puts the XML back on stdin and execs the runner; returns only on failure (-errno). */
static int exec_runner(char **argv, const char *xml, size_t len, char *path, size_t path_size)
{
    int r = runner_path(path, path_size);
    if (r < 0)
        return r;
    int fd = memfd_create("domain-xml", MFD_CLOEXEC);
    if (fd < 0)
        return -errno;
    for (size_t off = 0; off < len;) {
        ssize_t n = write(fd, xml + off, len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            r = -errno;
            close(fd);
            return r;
        }
        off += (size_t)n;
    }
    if (lseek(fd, 0, SEEK_SET) < 0 || dup2(fd, STDIN_FILENO) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    close(fd);
    execv(path, argv);
    return -errno;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 0; /* not called by libvirt */
    const char *op = argv[2];
    /* Only these four act; every other op (started, stopped, restore...) must leave at once,
     * printing nothing: migrate and restore treat our stdout as a new XML, so the runner too
     * prints nothing there but its one stderr line when it refuses an incoming migration. */
    if (strcmp(op, "prepare") && strcmp(op, "release") && strcmp(op, "reconnect") &&
        strcmp(op, "migrate"))
        return 0;
    /* prepare and migrate may refuse (exit 1); release and reconnect must always go on. */
    bool must_succeed = !hook_may_refuse(op);

    size_t len = 0;
    int status = 0;
    char *xml = hook_read_xml(argv[1], must_succeed, &len, &status);
    if (!xml)
        return status;
    if (!memmem(xml, len, NFSROOT_XMLNS_PREFIX, strlen(NFSROOT_XMLNS_PREFIX))) {
        free(xml);
        return 0;
    }

    char path[PATH_MAX] = RUNNER;
    int r = exec_runner(argv, xml, len, path, sizeof(path));
    free(xml);
    char name[1024]; /* the name libvirt passes comes from the XML: escaped like the runner's */
    nfsroot_escape(argv[1], NFSROOT_ESCAPE_TEXT, name, sizeof(name));
    openlog("virt-nfsroot", LOG_PID, LOG_DAEMON);
    syslog(LOG_ERR, "domain '%s': cannot run %s: %s", name, path, strerror(-r));
    if (must_succeed)
        return 0;
    fprintf(stderr, "virt-nfsroot: domain '%s': cannot run %s: %s\n", name, path, strerror(-r));
    return 1;
}
