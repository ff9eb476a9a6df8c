/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Reading the domain XML libvirt writes on the hook's stdin (shared by both hook programs). */
#pragma once
#include <stdbool.h>
#include <stddef.h>

/* Larger than any real domain XML; the library refuses anything above its own, lower cap. */
#define HOOK_STDIN_MAX (64u * 1024 * 1024)

/* Reads fd to EOF into a malloc()ed buffer (not NUL-terminated). NULL with *ret_err set (EFBIG
 * above HOOK_STDIN_MAX) on failure. */
char *hook_read_all(int fd, size_t *ret_len, int *ret_err);

/* May the hook refuse at op (exit 1 with one sentence)? prepare refuses the start, migrate an
 * incoming migration; every other op (release, reconnect, ...) must never fail. */
bool hook_may_refuse(const char *op);

/* The domain XML from stdin. On failure: NULL, and *ret_status is what the hook must exit with
 * (1 with one sentence on stderr when it may refuse, 0 otherwise). */
char *hook_read_xml(const char *domain, bool must_succeed, size_t *ret_len, int *ret_status);
