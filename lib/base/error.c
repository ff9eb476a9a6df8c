/* SPDX-License-Identifier: LGPL-2.1-or-later */
#include "base.h"

static void copy_str(char *dst, size_t len, const char *src)
{
    if (!src)
        src = "";
    snprintf(dst, len, "%s", src);
}

int nfsroot_err(nfsroot_error *err, int code, const char *domain, const char *field,
                const char *path, int line, const char *fmt, ...)
{
    if (!err || err->code != 0)
        return code;
    err->code = code;
    /* Values from a domain XML may hold newlines or escapes: the message stays one printable line.
     */
    nfsroot_escape(domain, NFSROOT_ESCAPE_TEXT, err->domain, sizeof(err->domain));
    copy_str(err->field, sizeof(err->field), field);
    copy_str(err->path, sizeof(err->path), path);
    err->line = line;
    char raw[sizeof(err->message)];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(raw, sizeof(raw), fmt, ap);
    va_end(ap);
    nfsroot_escape(raw, NFSROOT_ESCAPE_TEXT, err->message, sizeof(err->message));
    return code;
}

void nfsroot_error_clear(nfsroot_error *err)
{
    if (!err)
        return;
    unsigned version = err->version;
    memset(err, 0, sizeof(*err));
    err->version = version;
}

/* The message already names the field and value; the domain is the prefix a user scans for. */
const char *nfsroot_error_format(const nfsroot_error *err, char *buf, size_t len)
{
    const char *msg = err->message[0] ? err->message : strerror(-err->code);
    if (err->domain[0])
        snprintf(buf, len, "domain '%s': %s", err->domain, msg);
    else
        snprintf(buf, len, "%s", msg);
    return buf;
}
