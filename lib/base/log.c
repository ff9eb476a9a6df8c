/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include <syslog.h>

#include "base.h"

/* The whole line is escaped, not its arguments one by one: whatever a caller passes (a guest's
 * fstab, a domain name), syslog gets one line without controls, so no line can be forged. */
void nfsroot_logf(const nfsroot_log *log, int priority, const char *fmt, ...)
{
    if (!log || !log->fn)
        return;
    char raw[2048], line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    nfsroot_escape(raw, NFSROOT_ESCAPE_TEXT, line, sizeof(line));
    log->fn(priority, line, log->userdata);
}
