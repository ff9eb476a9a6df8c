/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one way a string a guest or an XML author controls becomes safe to print or log. Self-
 * contained (libc only): the static hook front end compiles this file in as well. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "virt-nfsroot/virt-nfsroot.h"

/* Length (1..4) of the valid UTF-8 sequence at p and its code point; 0 when p starts no valid
 * sequence (stray continuation byte, overlong form, surrogate, above U+10FFFF, cut short). */
static size_t utf8_decode(const unsigned char *p, uint32_t *ret)
{
    uint32_t cp, min;
    size_t n;
    if (p[0] < 0x80) {
        *ret = p[0];
        return 1;
    }
    if (p[0] >= 0xc2 && p[0] <= 0xdf)
        n = 2, cp = p[0] & 0x1fu, min = 0x80;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
        n = 3, cp = p[0] & 0x0fu, min = 0x800;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
        n = 4, cp = p[0] & 0x07u, min = 0x10000;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) /* also stops at the terminating NUL */
            return 0;
        cp = cp << 6 | (p[i] & 0x3fu);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    *ret = cp;
    return n;
}

/* Characters a terminal or a log viewer acts on instead of showing: C0, DEL, C1 (U+009B is a
 * CSI as good as ESC [), line and paragraph separators, bidi embeddings/overrides/isolates. */
static bool is_control(uint32_t cp)
{
    return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029 ||
           (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escaped form of one unit (a character or an invalid byte) in piece; its length. */
static size_t escape_unit(const unsigned char *p, size_t n, uint32_t cp, nfsroot_escape_style style,
                          char piece[8])
{
    bool json = style == NFSROOT_ESCAPE_JSON;
    if (n == 0) /* an invalid byte: visible as its value; JSON has no way to carry it */
        return (size_t)snprintf(piece, 8, json ? "\\\\x%02x" : "\\x%02x", p[0]);
    if (cp == '\n')
        return (size_t)snprintf(piece, 8, "\\n");
    if (cp == '\t')
        return (size_t)snprintf(piece, 8, "\\t");
    if (json && cp == '\r')
        return (size_t)snprintf(piece, 8, "\\r");
    if (json && (cp == '"' || cp == '\\'))
        return (size_t)snprintf(piece, 8, "\\%c", (char)cp);
    if (is_control(cp)) {
        if (cp < 0x80 && !json)
            return (size_t)snprintf(piece, 8, "\\x%02x", (unsigned)cp);
        return (size_t)snprintf(piece, 8, "\\u%04x", (unsigned)cp);
    }
    memcpy(piece, p, n);
    return n;
}

size_t nfsroot_escape(const char *s, nfsroot_escape_style style, char *buf, size_t len)
{
    size_t need = 0, o = 0;
    bool full = len == 0;
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        uint32_t cp = 0;
        size_t n = utf8_decode(p, &cp);
        char piece[8];
        size_t k = escape_unit(p, n, cp, style, piece);
        /* Never half an escape or half a character: the output stops at a unit's edge. */
        if (!full && o + k < len) {
            memcpy(buf + o, piece, k);
            o += k;
        } else
            full = true;
        need += k;
        p += n ? n : 1;
    }
    if (len)
        buf[o] = '\0';
    return need;
}
