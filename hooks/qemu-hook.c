/* virt-nfsroot's libvirt qemu hook: /etc/libvirt/hooks/qemu.d/virt-nfsroot.
 *
 * libvirtd runs it for every guest on the host, with the domain XML on stdin. Most guests carry
 * no metadata of ours, so this file links only libc: it reads stdin, looks for our namespace and
 * leaves at once when it is absent. Only then does it load libvirt-nfsroot (and libxml2) and hand
 * over. It never calls libvirt (that would deadlock libvirtd). */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "virt-nfsroot/virt-nfsroot.h"

/* Larger than any real domain XML; the library refuses anything above its own, lower cap. */
#define STDIN_MAX (64u * 1024 * 1024)
#define LIBRARY "libvirt-nfsroot.so.0"

static char *read_stdin(size_t *ret_len, int *ret_err)
{
    size_t cap = 64 * 1024, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf) {
            *ret_err = ENOMEM;
            return NULL;
        }
        if (len == cap) {
            if (cap >= STDIN_MAX) {
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
        ssize_t n = read(STDIN_FILENO, buf + len, cap - len);
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

/* RTLD_LAZY: binding only the symbols the hook reaches saves ~2M instructions per annotated
 * start (bench/); a missing symbol would show at its first call instead of at load.
 * dlopen() by name searches the RUNPATH of its caller, and under ASan the caller is the
 * sanitizer's interceptor, not us: so walk our own search path (RUNPATH: the build tree, or the
 * install libdir once installed) and open the library by absolute path. */
static void *load_library(void)
{
    void *self = dlopen(NULL, RTLD_LAZY);
    Dl_serinfo size;
    if (self && dlinfo(self, RTLD_DI_SERINFOSIZE, &size) == 0) {
        Dl_serinfo *si = malloc(size.dls_size);
        if (si && dlinfo(self, RTLD_DI_SERINFOSIZE, si) == 0 &&
            dlinfo(self, RTLD_DI_SERINFO, si) == 0)
            for (unsigned i = 0; i < si->dls_cnt; i++) {
                char path[4096];
                snprintf(path, sizeof(path), "%s/%s", si->dls_serpath[i].dls_name, LIBRARY);
                if (access(path, F_OK) != 0)
                    continue;
                void *h = dlopen(path, RTLD_LAZY | RTLD_LOCAL);
                if (h) {
                    free(si);
                    return h;
                }
            }
        free(si);
    }
    return dlopen(LIBRARY, RTLD_LAZY | RTLD_LOCAL);
}

static void to_syslog(int priority, const char *line, void *userdata)
{
    (void)userdata;
    syslog(priority, "%s", line);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        return 0; /* not called by libvirt */
    const char *op = argv[2];
    /* Only these three act; every other op (started, stopped, migrate, restore...) must leave
     * at once, printing nothing: migrate and restore treat our stdout as a new XML. */
    if (strcmp(op, "prepare") && strcmp(op, "release") && strcmp(op, "reconnect"))
        return 0;

    size_t len = 0;
    int e = 0;
    char *xml = read_stdin(&len, &e);
    if (!xml) {
        if (strcmp(op, "prepare"))
            return 0;
        fprintf(stderr, "virt-nfsroot: domain '%s': cannot read the domain XML: %s\n", argv[1],
                e == EFBIG ? "it is larger than 64 MiB" : strerror(e));
        return 1;
    }
    if (!memmem(xml, len, NFSROOT_XMLNS_PREFIX, strlen(NFSROOT_XMLNS_PREFIX))) {
        free(xml);
        return 0;
    }

    openlog("virt-nfsroot", LOG_PID, LOG_DAEMON);
    void *lib = load_library();
    nfsroot_hook_run_fn run = lib ? (nfsroot_hook_run_fn)dlsym(lib, "nfsroot_hook_run") : NULL;
    typedef const char *(*format_fn)(const nfsroot_error *, char *, size_t);
    format_fn format = lib ? (format_fn)dlsym(lib, "nfsroot_error_format") : NULL;
    if (!run || !format) {
        const char *why = dlerror();
        syslog(LOG_ERR, "cannot load %s: %s", LIBRARY, why ? why : "symbol missing");
        free(xml);
        if (strcmp(op, "prepare"))
            return 0;
        fprintf(stderr, "virt-nfsroot: domain '%s': cannot load %s: %s\n", argv[1], LIBRARY,
                why ? why : "nfsroot_hook_run missing");
        return 1;
    }

    nfsroot_log log = { .fn = to_syslog };
    nfsroot_hook_args a = {
        .domain = argv[1],
        .op = argv[2],
        .subop = argv[3],
        .extra = argc > 4 ? argv[4] : NULL,
        .xml = xml,
        .xml_len = len,
        .log = &log,
    };
    nfsroot_error err = { 0 };
    int r = run(&a, &err);
    free(xml);
    if (r < 0) {
        char line[2048];
        format(&err, line, sizeof(line));
        syslog(LOG_ERR, "refused: %s", line);
        fprintf(stderr, "virt-nfsroot: %s\n", line);
        return 1;
    }
    return 0;
}
