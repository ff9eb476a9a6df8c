/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The one way a string a guest or an XML author controls becomes safe to print or log. Self-
 * contained (libc only): the static hook front end compiles this file in as well. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "virt-nfsroot/virt-nfsroot-private.h"

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

/* Characters a terminal or a log viewer acts on, or that print as nothing, instead of showing:
 * C0, DEL, C1 (U+009B is a CSI as good as ESC [), the line and paragraph separators U+2028/9, and
 * every format character (Unicode category Cf, as of Unicode 16): the soft hyphen U+00AD, the
 * Arabic number signs U+0600-5, U+06DD, U+0890-1, U+08E2, the Arabic letter mark U+061C, U+070F,
 * the Mongolian vowel separator U+180E, U+200B-F (zero width space, non-joiner, joiner, the LRM
 * and RLM marks), the bidi embeddings/overrides U+202A-E, U+2060-4 (word joiner, invisible
 * operators), the bidi isolates U+2066-9 and the deprecated U+206A-F, the BOM/ZWNBSP U+FEFF, the
 * interlinear annotations U+FFF9-B, U+110BD, U+110CD, the hieroglyph controls U+13430-F,
 * U+1BCA0-3, U+1D173-A and the tag characters U+E0001, U+E0020-7F. With them a name could read
 * as another one, reorder the text around it, or carry text nobody sees. */
static const uint32_t invisible[][2] = {
    { 0x00ad, 0x00ad },   { 0x0600, 0x0605 },   { 0x061c, 0x061c },   { 0x06dd, 0x06dd },
    { 0x070f, 0x070f },   { 0x0890, 0x0891 },   { 0x08e2, 0x08e2 },   { 0x180e, 0x180e },
    { 0x200b, 0x200f },   { 0x2028, 0x202e },   { 0x2060, 0x2064 },   { 0x2066, 0x206f },
    { 0xfeff, 0xfeff },   { 0xfff9, 0xfffb },   { 0x110bd, 0x110bd }, { 0x110cd, 0x110cd },
    { 0x13430, 0x1343f }, { 0x1bca0, 0x1bca3 }, { 0x1d173, 0x1d17a }, { 0xe0001, 0xe0001 },
    { 0xe0020, 0xe007f },
};

static bool is_control(uint32_t cp)
{
    if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f))
        return true;
    for (size_t i = 0; i < sizeof(invisible) / sizeof(invisible[0]) && cp >= invisible[i][0]; i++)
        if (cp <= invisible[i][1])
            return true;
    return false;
}

/* The escaped form of one unit (a character or an invalid byte) in piece; its length. */
static size_t escape_unit(const unsigned char *p, size_t n, uint32_t cp, nfsroot_escape_style style,
                          char piece[16])
{
    bool json = style == NFSROOT_ESCAPE_JSON;
    if (n == 0) /* an invalid byte: visible as its value; JSON has no way to carry it */
        return (size_t)snprintf(piece, 16, json ? "\\\\x%02x" : "\\x%02x", p[0]);
    if (cp == '\n')
        return (size_t)snprintf(piece, 16, "\\n");
    if (cp == '\t')
        return (size_t)snprintf(piece, 16, "\\t");
    if (json && cp == '\r')
        return (size_t)snprintf(piece, 16, "\\r");
    if (json && (cp == '"' || cp == '\\'))
        return (size_t)snprintf(piece, 16, "\\%c", (char)cp);
    if (is_control(cp)) {
        if (cp < 0x80 && !json)
            return (size_t)snprintf(piece, 16, "\\x%02x", (unsigned)cp);
        if (cp <= 0xffff)
            return (size_t)snprintf(piece, 16, "\\u%04x", (unsigned)cp);
        if (!json)
            return (size_t)snprintf(piece, 16, "\\U%08x", (unsigned)cp);
        cp -= 0x10000; /* JSON writes a character above U+FFFF as its UTF-16 surrogate pair */
        return (size_t)snprintf(piece, 16, "\\u%04x\\u%04x", 0xd800 + (unsigned)(cp >> 10),
                                0xdc00 + (unsigned)(cp & 0x3ff));
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
        char piece[16];
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

char *nfsroot_xml_escape(const char *s)
{
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += strchr("<>&'\"\r", *p) ? 6 : 1;
    char *e = malloc(n), *o = e;
    for (const char *p = s; e && *p; p++) {
        const char *rep = *p == '<'    ? "&lt;"
                          : *p == '>'  ? "&gt;"
                          : *p == '&'  ? "&amp;"
                          : *p == '\'' ? "&apos;"
                          : *p == '"'  ? "&quot;"
                          : *p == '\r' ? "&#13;"
                                       : NULL;
        if (rep)
            o = stpcpy(o, rep);
        else
            *o++ = *p;
    }
    if (e)
        *o = '\0';
    return e;
}
