/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* record.c: the text of a record of the state dir (the format is described there). Not
 * installed. */
#ifndef NFSROOT_RECORD_H
#define NFSROOT_RECORD_H

#include "formats.h"

/* No record file is read above this size (a written one stays under 64 KiB). */
#define NFSROOT_RECORD_READ_MAX (1024u * 1024)

/* Parse the record text (len bytes, modified in place) of the record named name, strictly:
 * anything that does not read back exactly as written is refused with -EBADMSG and a short
 * reason in why; -ENOMEM. */
int nfsroot_record_parse(char *text, size_t len, const char *name, nfsroot_state **ret, char *why,
                         size_t why_len);
/* The text of s's record, refused (nothing returned, why filled) when it would exceed the write
 * bound (-E2BIG) or would not read back as exactly s (-E2BIG, -EINVAL); -ENOMEM. */
int nfsroot_record_format(const nfsroot_state *s, char **ret, size_t *ret_len, char *why,
                          size_t why_len);

#endif
