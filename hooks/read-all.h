/* Reading the domain XML libvirt writes on the hook's stdin (shared by both hook programs). */
#pragma once
#include <stddef.h>

/* Larger than any real domain XML; the library refuses anything above its own, lower cap. */
#define HOOK_STDIN_MAX (64u * 1024 * 1024)

/* Reads fd to EOF into a malloc()ed buffer (not NUL-terminated). NULL with *ret_err set (EFBIG
 * above HOOK_STDIN_MAX) on failure. */
char *hook_read_all(int fd, size_t *ret_len, int *ret_err);
