#include <syslog.h>

#include "internal.h"

void nfsroot_logf(const nfsroot_log *log, int priority, const char *fmt, ...)
{
    if (!log || !log->fn)
        return;
    char line[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    log->fn(priority, line, log->userdata);
}
