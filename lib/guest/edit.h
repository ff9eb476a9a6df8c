/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Pure edits of guest configuration texts (lib/guest/edit.c). old may be NULL (no file); the
 * result is malloc()ed. 0 or -ENOMEM. */
#ifndef NFSROOT_GUEST_EDIT_H
#define NFSROOT_GUEST_EDIT_H

#include <stdbool.h>

/* fstab with its root line(s) replaced by "spec / nfs4 rw 0 0" and, when asked, the Portage
 * tmpfs line added unless /var/tmp/portage has one. */
/* The line guest_edit_fstab() adds for a profile with portage_tmpfs, and the one the boot
 * check's distro-portage-tmpfs finding tells to add: Portage's locks fail on NFS. */
#define GUEST_PORTAGE_FSTAB_LINE                                                                   \
    "tmpfs /var/tmp/portage tmpfs rw,nosuid,nodev,noatime,uid=portage,gid=portage,mode=775 0 0"
int guest_edit_fstab(const char *old, const char *spec, bool portage_tmpfs, char **ret);
/* An INI text with key's line in section (e.g. "[General]", "Domain") set to line; the section
 * is added when missing. Keys compare without case, as libnfsidmap and dnf read them. */
int guest_edit_ini(const char *old, const char *section, const char *key, const char *line,
                   char **ret);
/* shadow with root's password field set to hash (a root line is added when missing). */
int guest_edit_shadow(const char *old, const char *hash, char **ret);
/* Does shadow's first root line hold a password (a field neither empty nor starting with '!' or
 * '*')? */
bool guest_shadow_root_usable(const char *shadow);
/* The id of group name in an etc/group text (the first line naming it): 0, -ENOENT, or -EINVAL
 * when its id field is not a number below 10^9. */
int guest_group_gid(const char *group, const char *name, unsigned *ret);
/* dnf.conf with nocaps in [main] tsflags (other flags kept). */
int guest_edit_dnf(const char *old, char **ret);
/* Does dnf.conf's [main] tsflags include nocaps? */
bool guest_dnf_has_nocaps(const char *text);
/* Is line (without newline) one of text's lines? */
bool guest_text_has_line(const char *text, const char *line);

#endif
