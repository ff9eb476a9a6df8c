/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* libFuzzer target: the texts `create` reads and edits in a guest tree (lib/formats/osrelease.c,
 * lib/guest/edit.c). Invariants: os-release fields are terminated strings; every edit is
 * idempotent (create --reuse runs it again on its own output) and does what it says (one root
 * line in fstab, nocaps in dnf.conf). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "guest/edit.h"
#include "osrelease.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void idempotent(const char *in, int (*edit)(const char *, char **))
{
    char *once = NULL, *twice = NULL;
    if (edit(in, &once) < 0)
        return;
    if (edit(once, &twice) == 0 && strcmp(once, twice) != 0)
        __builtin_trap();
    free(once);
    free(twice);
}

static int fstab(const char *in, char **out)
{
    return guest_edit_fstab(in, "192.168.122.1:/export/vm", true, out);
}

static int idmapd(const char *in, char **out)
{
    return guest_edit_ini(in, "[General]", "Domain", "Domain = example.org", out);
}

static int shadow(const char *in, char **out)
{
    return guest_edit_shadow(in, "$y$j9T$salt$hash", out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    nfsroot_os_release o;
    nfsroot_os_release_parse((const char *)data, size, &o);
    if (strnlen(o.id, sizeof(o.id)) == sizeof(o.id) ||
        strnlen(o.id_like, sizeof(o.id_like)) == sizeof(o.id_like) ||
        strnlen(o.version_id, sizeof(o.version_id)) == sizeof(o.version_id))
        __builtin_trap();

    char *s = malloc(size + 1);
    if (!s)
        return 0;
    memcpy(s, data, size);
    s[size] = '\0';
    idempotent(s, fstab);
    idempotent(s, idmapd);
    idempotent(s, shadow);
    idempotent(s, guest_edit_dnf);
    char *dnf = NULL;
    if (guest_edit_dnf(s, &dnf) == 0 && !guest_dnf_has_nocaps(dnf))
        __builtin_trap();
    free(dnf);
    free(s);
    return 0;
}
