/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The C tests' vocabulary, the counterpart of tests/lib/check.sh (and of libvirt's
 * tests/testutils.h, much smaller). Header-only: each test is one program.
 *   CHECK(cond)                  count a check; when cond is false print "FAIL: file:line: cond"
 *   CHECKF(cond, fmt, ...)       the same with a message of the test's own instead of cond
 *   test_report(ok, fmt, ...)    count one named result, printed "PASS: ..." or "FAIL: ..."
 *   test_summary()               print "N passed, M failed"; the exit status for main
 *   slurp(path, &len)            a whole file, at most TEST_SLURP_MAX bytes, NUL-terminated
 *   slurp_in(dir, name, &len)    the same for the file name in dir (a case folder's inputs)
 *   test_golden(path, got, env)  compare with a golden file, or rewrite it when env is set
 * Link the test to the nfsroot_test CMake target: tests/lib and lib/common (macro.h). */
#ifndef NFSROOT_TEST_H
#define NFSROOT_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "macro.h"

/* The largest file a test reads whole: test inputs are small, a bigger one is a mistake. */
#define TEST_SLURP_MAX (64u << 20)

typedef struct test_counts {
    int passed, failed;
} test_counts;

/* One counter per test program (the library keeps no state; a test is a single program). */
static inline test_counts *test_counts_get(void)
{
    static test_counts counts;
    return &counts;
}

_printf_(3, 0) static inline void test_vreport(bool ok, const char *where, const char *fmt,
                                               va_list ap)
{
    test_counts *c = test_counts_get();
    if (ok)
        c->passed++;
    else
        c->failed++;
    printf("%s: ", ok ? "PASS" : "FAIL");
    if (where)
        printf("%s: ", where);
    vprintf(fmt, ap);
    putchar('\n');
    fflush(stdout);
}

/* Count one named result, printed whether it passed or not. Returns ok. */
_printf_(2, 3) static inline bool test_report(bool ok, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    test_vreport(ok, NULL, fmt, ap);
    va_end(ap);
    return ok;
}

/* Count one check; only a failed one is printed, with where it is. Returns ok. */
_printf_(4, 5) static inline bool test_check_at(bool ok, const char *file, int line,
                                                const char *fmt, ...)
{
    if (ok) {
        test_counts_get()->passed++;
        return true;
    }
    char where[512];
    snprintf(where, sizeof(where), "%s:%d", file, line);
    va_list ap;
    va_start(ap, fmt);
    test_vreport(false, where, fmt, ap);
    va_end(ap);
    return false;
}

#define CHECK(cond) test_check_at(!!(cond), __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) test_check_at(!!(cond), __FILE__, __LINE__, __VA_ARGS__)

/* The closing line; returns main's exit status (1 when anything failed). */
static inline int test_summary(void)
{
    const test_counts *c = test_counts_get();
    printf("%d passed, %d failed\n", c->passed, c->failed);
    return c->failed ? 1 : 0;
}

/* The whole file at path, NUL-terminated (it may hold NULs: *ret_len is its size), for the
 * caller to free; NULL with errno set when it cannot be read or is over TEST_SLURP_MAX. */
static inline char *slurp(const char *path, size_t *ret_len)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    _cleanup_free_ char *buf = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 2) {
            cap = cap ? cap * 2 : 65536;
            char *grown = realloc(buf, cap);
            if (!grown)
                return NULL;
            buf = grown;
        }
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return NULL;
        if (n == 0)
            break;
        len += (size_t)n;
        if (len > TEST_SLURP_MAX) {
            errno = EFBIG;
            return NULL;
        }
    }
    buf[len] = '\0';
    if (ret_len)
        *ret_len = len;
    return TAKE_PTR(buf);
}

/* s with every from replaced by to, in a new string (a case's paths masked or filled in). */
static inline char *test_replace(const char *s, const char *from, const char *to)
{
    size_t fl = strlen(from);
    if (!fl)
        return strdup(s);
    char *out = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&out, &len);
    if (!m)
        return NULL;
    for (const char *p = s, *hit; *p; p = hit + fl) {
        if (!(hit = strstr(p, from))) {
            fputs(p, m);
            break;
        }
        fwrite(p, 1, (size_t)(hit - p), m);
        fputs(to, m);
    }
    fclose(m);
    return out;
}

/* slurp() of dir/name: a data-driven case's input files. */
static inline char *slurp_in(const char *dir, const char *name, size_t *ret_len)
{
    char path[4096];
    if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path)) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    return slurp(path, ret_len);
}

/* Compare got with the golden file at path; with the environment variable regen set (e.g.
 * NFSROOT_REGENERATE=1), rewrite the file instead. Counted and printed as one result; a mismatch
 * shows both texts. Returns true when they agree or the file was rewritten. */
static inline bool test_golden(const char *path, const char *got, const char *regen)
{
    if (getenv(regen)) {
        _cleanup_fclose_ FILE *f = fopen(path, "we");
        return test_report(f && fputs(got, f) >= 0 && fflush(f) == 0, "%s rewritten", path);
    }
    _cleanup_free_ char *want = slurp(path, NULL);
    bool same = want && strcmp(want, got) == 0;
    if (!test_report(same, "%s", path))
        printf("--- expected\n%s--- got\n%s", want ? want : "(missing)\n", got);
    return same;
}

/* main() of a data-driven case runner: render(case_dir, out) writes the output (negative when
 * the case cannot be read), compared with case_dir/expected (NFSROOT_REGENERATE=1 rewrites it). */
static inline int test_case_main(int argc, char **argv,
                                 int (*render)(const char *case_dir, FILE *out))
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s CASE_DIR\n", argv[0]);
        return 2;
    }
    _cleanup_free_ char *got = NULL;
    size_t got_len = 0;
    FILE *out = open_memstream(&got, &got_len);
    int r = out ? render(argv[1], out) : -ENOMEM;
    if (out)
        fclose(out);
    if (r < 0) {
        fprintf(stderr, "%s: cannot read the case: %s\n", argv[1], strerror(-r));
        return 1;
    }
    char path[4096];
    snprintf(path, sizeof(path), "%s/expected", argv[1]);
    return test_golden(path, got, "NFSROOT_REGENERATE") ? 0 : 1;
}

#endif
