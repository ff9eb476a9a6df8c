/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* spawn-timer: run a program (or a short chain of programs) many times with posix_spawn and report
 * the distribution of wall times. More precise than a shell loop or hyperfine for ~1 ms programs:
 * no shell in between, monotonic clock, stdin opened before the clock starts.
 *
 * usage: spawn-timer [-n RUNS] [-w WARMUP] [-j PARALLEL] [-i STDIN] [-e STDERR] [-k]
 *                    -- PROG ARGS... [--- PROG ARGS...]... [:: PROG ARGS... [--- ...]]...
 *   One run = the programs separated by "---", one after the other; its time is from the first
 *   spawn to the last exit. "{}" in STDIN and in any argument is replaced by the run's index.
 *   "::" starts another group: the groups are measured A B A B..., one run of each in turn, so
 *   that a change in the machine's load falls on every group alike.
 *   -j P: start P runs at once (single program only) and also report the total wall time.
 *   -k:   keep going when a program exits non-zero (default: stop and exit 2).
 * Output (one line per group; "group=G " first when there are several): runs=N median_us=..
 *   p10_us=.. p90_us=.. p99_us=.. mean_us=.. min_us=.. max_us=.. wall_us=.. maxrss_kb=..
 *   cpu_median_us=..   (maxrss: the largest ru_maxrss of any child, from wait4; cpu: user +
 *   system time of a run's programs and the children they waited for, from wait4)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#define MAX_CMDS 8
#define MAX_GROUPS 4

static char **cmds[MAX_CMDS];
static int n_cmds;
/* Group g is cmds[group_first[g]] .. cmds[group_first[g + 1] - 1]. */
static int group_first[MAX_GROUPS + 1];
static int n_groups;
static const char *stdin_tmpl = "/dev/null";
static const char *stderr_path;
static int keep_going;
static long max_rss;
static double cpu_us; /* of the run being timed */

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/* A copy of s with every "{}" replaced by the decimal index. */
static char *subst(const char *s, long idx)
{
    char num[32];
    int nl = snprintf(num, sizeof(num), "%ld", idx);
    size_t cap = strlen(s) * (size_t)(nl + 1) + 1;
    char *out = malloc(cap), *o = out;
    if (!out) {
        perror("malloc");
        exit(3);
    }
    while (*s) {
        if (s[0] == '{' && s[1] == '}') {
            memcpy(o, num, (size_t)nl);
            o += nl;
            s += 2;
        } else
            *o++ = *s++;
    }
    *o = 0;
    return out;
}

static char **subst_argv(char **argv, long idx)
{
    int n = 0;
    while (argv[n])
        n++;
    char **out = calloc((size_t)n + 1, sizeof(char *));
    if (!out) {
        perror("calloc");
        exit(3);
    }
    for (int i = 0; i < n; i++)
        out[i] = subst(argv[i], idx);
    return out;
}

static void free_argv(char **argv)
{
    for (int i = 0; argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* Spawn cmds[c] for run idx; the stdin file is opened here, before the caller's clock starts. */
static pid_t spawn_one(int c, long idx, int in_fd)
{
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO);
    posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    if (stderr_path)
        posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, stderr_path,
                                         O_WRONLY | O_APPEND | O_CREAT, 0644);
    char **argv = subst_argv(cmds[c], idx);
    pid_t pid;
    int r = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (r != 0) {
        fprintf(stderr, "spawn-timer: cannot run '%s': %s\n", argv[0], strerror(r));
        exit(2);
    }
    free_argv(argv);
    return pid;
}

static int open_stdin(long idx)
{
    char *path = subst(stdin_tmpl, idx);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "spawn-timer: cannot open '%s': %s\n", path, strerror(errno));
        exit(2);
    }
    free(path);
    return fd;
}

static void check_status(int status, int c, long idx)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return;
    if (keep_going)
        return;
    fprintf(stderr, "spawn-timer: '%s' (run %ld) %s %d\n", cmds[c][0], idx,
            WIFEXITED(status) ? "exited with status" : "was killed by signal",
            WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
    exit(2);
}

static pid_t reap(pid_t pid, int *status)
{
    struct rusage ru;
    pid_t r;
    do
        r = wait4(pid, status, 0, &ru);
    while (r < 0 && errno == EINTR);
    if (r < 0) {
        perror("spawn-timer: wait4");
        exit(2);
    }
    if (ru.ru_maxrss > max_rss)
        max_rss = ru.ru_maxrss;
    cpu_us += (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1e6 +
              (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
    return r;
}

/* One run of group g: its chain of commands, sequentially. Returns its duration in
 * microseconds; cpu_us holds its CPU time. */
static double run_chain(int g, long idx)
{
    int fds[MAX_CMDS];
    for (int c = group_first[g]; c < group_first[g + 1]; c++)
        fds[c] = open_stdin(idx);
    cpu_us = 0;
    double t0 = now_us();
    for (int c = group_first[g]; c < group_first[g + 1]; c++) {
        int status;
        pid_t pid = spawn_one(c, idx, fds[c]);
        reap(pid, &status);
        check_status(status, c, idx);
    }
    double t = now_us() - t0;
    for (int c = group_first[g]; c < group_first[g + 1]; c++)
        close(fds[c]);
    return t;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(const double *sorted, long n, double p)
{
    /* nearest-rank percentile */
    long k = (long)(p / 100.0 * (double)n + 0.999999);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
    return sorted[k - 1];
}

int main(int argc, char **argv)
{
    long runs = 200, warmup = 5, par = 1;
    int opt;
    while ((opt = getopt(argc, argv, "+n:w:j:i:e:k")) != -1) {
        switch (opt) {
        case 'n':
            runs = atol(optarg);
            break;
        case 'w':
            warmup = atol(optarg);
            break;
        case 'j':
            par = atol(optarg);
            break;
        case 'i':
            stdin_tmpl = optarg;
            break;
        case 'e':
            stderr_path = optarg;
            break;
        case 'k':
            keep_going = 1;
            break;
        default:
            fprintf(stderr, "usage: spawn-timer [-n RUNS] [-w WARMUP] [-j PARALLEL] [-i STDIN] "
                            "[-e STDERR] [-k] -- PROG ARGS... [--- PROG ARGS...]\n");
            return 2;
        }
    }
    if (optind >= argc || runs < 1 || par < 1) {
        fprintf(stderr, "spawn-timer: nothing to run\n");
        return 2;
    }
    cmds[n_cmds++] = &argv[optind];
    n_groups = 1;
    for (int i = optind; i < argc; i++) {
        bool group = !strcmp(argv[i], "::");
        if (!group && strcmp(argv[i], "---"))
            continue;
        argv[i] = NULL;
        if (n_cmds == MAX_CMDS || i + 1 >= argc || (group && n_groups == MAX_GROUPS)) {
            fprintf(stderr, "spawn-timer: too many or empty commands\n");
            return 2;
        }
        if (group)
            group_first[n_groups++] = n_cmds;
        cmds[n_cmds++] = &argv[i + 1];
    }
    group_first[n_groups] = n_cmds;
    if (par > 1 && n_cmds > 1) {
        fprintf(stderr, "spawn-timer: -j takes a single program\n");
        return 2;
    }

    double *times = calloc((size_t)runs * (size_t)n_groups, sizeof(double));
    double *cpus = calloc((size_t)runs * (size_t)n_groups, sizeof(double));
    double walls[MAX_GROUPS] = { 0 };
    long rss[MAX_GROUPS] = { 0 };
    if (!times || !cpus)
        return 3;
    if (par == 1) {
        for (long i = 0; i < warmup; i++)
            for (int g = 0; g < n_groups; g++)
                run_chain(g, i);
        for (long i = 0; i < runs; i++)
            for (int g = 0; g < n_groups; g++) {
                max_rss = rss[g];
                double t = run_chain(g, i);
                times[g * runs + i] = t;
                cpus[g * runs + i] = cpu_us;
                walls[g] += t;
                rss[g] = max_rss;
            }
    } else {
        double *t = times;
        /* Batches of `par` runs started back to back; each run's time is spawn -> its exit. */
        pid_t *pids = calloc((size_t)par, sizeof(pid_t));
        double *start = calloc((size_t)par, sizeof(double));
        int *fds = calloc((size_t)par, sizeof(int));
        if (!pids || !start || !fds)
            return 3;
        double w0 = now_us();
        for (long base = 0; base < runs; base += par) {
            long k = runs - base < par ? runs - base : par;
            for (long j = 0; j < k; j++)
                fds[j] = open_stdin(base + j);
            for (long j = 0; j < k; j++) {
                start[j] = now_us();
                pids[j] = spawn_one(0, base + j, fds[j]);
            }
            for (long done = 0; done < k; done++) {
                int status;
                cpu_us = 0;
                pid_t pid = reap(-1, &status);
                double end = now_us();
                for (long j = 0; j < k; j++)
                    if (pids[j] == pid) {
                        t[base + j] = end - start[j];
                        cpus[base + j] = cpu_us;
                        check_status(status, 0, base + j);
                        pids[j] = 0;
                    }
            }
            for (long j = 0; j < k; j++)
                close(fds[j]);
        }
        walls[0] = now_us() - w0;
        rss[0] = max_rss;
        free(pids);
        free(start);
        free(fds);
    }

    for (int g = 0; g < n_groups; g++) {
        double *t = times + g * runs, *c = cpus + g * runs;
        double sum = 0;
        for (long i = 0; i < runs; i++)
            sum += t[i];
        qsort(t, (size_t)runs, sizeof(double), cmp_double);
        qsort(c, (size_t)runs, sizeof(double), cmp_double);
        if (n_groups > 1)
            printf("group=%d ", g);
        printf("runs=%ld median_us=%.1f p10_us=%.1f p90_us=%.1f p99_us=%.1f mean_us=%.1f "
               "min_us=%.1f max_us=%.1f wall_us=%.1f maxrss_kb=%ld cpu_median_us=%.1f\n",
               runs, pct(t, runs, 50), pct(t, runs, 10), pct(t, runs, 90), pct(t, runs, 99),
               sum / (double)runs, t[0], t[runs - 1], walls[g], rss[g], pct(c, runs, 50));
    }
    free(times);
    free(cpus);
    return 0;
}
