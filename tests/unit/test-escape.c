/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* nfsroot_escape over a table: controls (C0, DEL, C1 raw and as UTF-8), bidi overrides and
 * marks, zero-width and other format characters, invalid UTF-8, printable UTF-8 kept, JSON form,
 * truncation only between units, escaping twice. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>

#include "test.h"
#include "domain.h"
#include "policy.h"

static void check(const char *in, nfsroot_escape_style style, const char *want)
{
    char buf[256];
    size_t n = nfsroot_escape(in, style, buf, sizeof(buf));
    CHECKF(strcmp(buf, want) == 0 && n == strlen(want),
           "%s escape of '%s': want '%s' (%zu), got '%s' (%zu)",
           style == NFSROOT_ESCAPE_JSON ? "json" : "text", in, want, strlen(want), buf, n);
}

static void text(const char *in, const char *want)
{
    check(in, NFSROOT_ESCAPE_TEXT, want);
}

static void json(const char *in, const char *want)
{
    check(in, NFSROOT_ESCAPE_JSON, want);
}

static void truncated(const char *in, size_t len, const char *want, size_t want_need)
{
    char buf[64];
    size_t n = nfsroot_escape(in, NFSROOT_ESCAPE_TEXT, buf, len);
    CHECKF(strcmp(buf, want) == 0 && n == want_need,
           "truncate '%s' to %zu: want '%s' (%zu), got '%s' (%zu)", in, len, want, want_need, buf,
           n);
}

/* The library's log lines (lib/base/log.c) are escaped as a whole: a finding quoting a guest file
 * cannot start a line of its own in syslog. */
static char logged[4096];
static void capture(int prio, const char *line, void *userdata)
{
    (void)prio, (void)userdata;
    snprintf(logged, sizeof(logged), "%s", line);
}

static void log_lines(void)
{
    nfsroot_findings *f = NULL;
    if (nfsroot_findings_new(&f) < 0)
        return;
    nfsroot_findings_add(f, NFSROOT_FINDING_WARNING, "x-y", NULL, "mounts '%s'",
                         "/x\033[2J\xc2\x9b\nsshd[1]: Accepted password for root");
    nfsroot_policy p = { .validate = NFSROOT_VALIDATE_WARN };
    nfsroot_domain d = { .name = (char *)"vm\033" };
    nfsroot_log log = { capture, NULL };
    nfsroot_bootcheck_enforce(&p, &d, f, &log, NULL);
    nfsroot_findings_free(f);
    const char *want = "domain 'vm\\x1b': boot check: warning: mounts "
                       "'/x\\x1b[2J\\u009b\\nsshd[1]: Accepted password for root' [x-y]";
    CHECKF(strcmp(logged, want) == 0, "log line: want '%s', got '%s'", want, logged);
}

/* nfsroot_error_clear empties an error for reuse but keeps the version its caller declared. */
static void error_clear_keeps_version(void)
{
    nfsroot_error e = NFSROOT_ERROR_INIT;
    e.code = -EINVAL;
    snprintf(e.message, sizeof(e.message), "bad");
    nfsroot_error_clear(&e);
    CHECKF(e.version == NFSROOT_ERROR_VERSION && e.code == 0 && !e.message[0],
           "cleared error: version %u code %d message '%s'", e.version, e.code, e.message);
}

int main(void)
{
    log_lines();
    error_clear_keeps_version();
    text("plain /export/vm", "plain /export/vm");
    text("", "");
    text(NULL, "");
    text("a\nb\tc", "a\\nb\\tc");
    text("\033[2J\a\r\x7f", "\\x1b[2J\\x07\\x0d\\x7f");
    text("x\ninfo: all boot checks passed", "x\\ninfo: all boot checks passed");
    text("csi \xc2\x9b"
         "31m",
         "csi \\u009b31m");                     /* U+009B, the one-byte CSI, as UTF-8 */
    text("\xc2\x80\xc2\x9f", "\\u0080\\u009f"); /* the ends of C1 */
    text("\xc2\xa0", "\xc2\xa0");               /* U+00A0 is printable */
    text("\x9b", "\\x9b");                      /* a raw C1 byte is no UTF-8 */
    text("\xff\xfe", "\\xff\\xfe");
    text("\xc0\xaf", "\\xc0\\xaf");                   /* overlong '/' */
    text("\xed\xa0\x80", "\\xed\\xa0\\x80");          /* a surrogate */
    text("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
    text("\xe2\x82", "\\xe2\\x82");                   /* cut short at the end */
    text("\xe2\x82x", "\\xe2\\x82x");
    text("\xe2\x80\xae"
         "evil",
         "\\u202eevil"); /* RIGHT-TO-LEFT OVERRIDE */
    text("\xe2\x80\xa8", "\\u2028");
    /* Marks and zero-width characters: a name that reads as another one, or reorders what
     * follows, or carries text nobody sees. */
    text("a\xe2\x80\x8f"
         "b\xe2\x80\x8e"
         "c\xd8\x9c"
         "d",
         "a\\u200fb\\u200ec\\u061cd");   /* RLM, LRM, ARABIC LETTER MARK */
    text("vm\xe2\x80\x8b", "vm\\u200b"); /* ZERO WIDTH SPACE */
    text("\xe2\x80\x8c\xe2\x80\x8d", "\\u200c\\u200d");
    text("\xe2\x81\xa0\xe2\x81\xa4\xe2\x81\xa6\xe2\x81\xa9\xe2\x81\xaf",
         "\\u2060\\u2064\\u2066\\u2069\\u206f");
    text("\xef\xbb\xbf\xe1\xa0\x8e\xc2\xad", "\\ufeff\\u180e\\u00ad");
    text("\xe2\x80\xa9\xe2\x80\xaa", "\\u2029\\u202a");
    text("\xf3\xa0\x80\x81\xf3\xa0\x81\xbf", "\\U000e0001\\U000e007f"); /* tags */
    /* their neighbours print */
    text("\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf\xe2\x81\x9f\xef\xbb\xbe\xd8\x9b",
         "\xe2\x80\x8a\xe2\x80\x90\xe2\x80\xaf\xe2\x81\x9f\xef\xbb\xbe\xd8\x9b");
    text("\xf3\xa0\x80\x80\xf3\xa0\x82\x80", "\xf3\xa0\x80\x80\xf3\xa0\x82\x80");
    text("caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xa7",
         "caf\xc3\xa9 \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x90\xa7");
    text("back\\slash \"q\"", "back\\slash \"q\"");
    /* Escaping twice changes nothing (the library escapes errors, then log lines). */
    text("a\\x1b\\u009b\\n", "a\\x1b\\u009b\\n");

    json("plain", "plain");
    json("q\"b\\", "q\\\"b\\\\");
    json("a\nb\tc\r", "a\\nb\\tc\\r");
    json("\033[2J\x7f\x01", "\\u001b[2J\\u007f\\u0001");
    json("\xc2\x9b", "\\u009b");
    json("\x9b\xff", "\\\\x9b\\\\xff");
    json("caf\xc3\xa9", "caf\xc3\xa9");
    json("\xe2\x80\xae", "\\u202e");
    json("\xe2\x80\x8f\xe2\x80\x8b\xd8\x9c\xef\xbb\xbf", "\\u200f\\u200b\\u061c\\ufeff");
    json("\xf3\xa0\x80\x81", "\\udb40\\udc01"); /* U+E0001 as its surrogate pair */

    truncated("abc\033def", 5, "abc", 10); /* \x1b does not fit: cut before it */
    truncated("ab\xc3\xa9z", 4, "ab", 5);  /* é does not fit: never half of it */
    truncated("abc", 4, "abc", 3);
    truncated("abc", 1, "", 3);
    CHECKF(nfsroot_escape("\033", NFSROOT_ESCAPE_TEXT, NULL, 0) == 4, "measure with len 0");
    return test_summary();
}
