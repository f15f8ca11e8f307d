/*
 * bench/spawn.c: the harness's stopwatch. bench/runner.py sends it one command per request;
 * it forks, execs the command, waits with wait4(2) and answers with the wall time, the
 * user and system CPU time and the peak RSS of that one process (and of the children it
 * waited for).
 *
 * Why C and not Python's os.fork()/os.wait4(): Linux records the peak RSS of the memory a
 * process had *before* execve(2) into its ru_maxrss (fs/exec.c: setmax_mm_hiwater_rss), and a
 * forked child starts with a copy of its parent's page tables. Forked from Python (about 9 MB)
 * /bin/true reports 5.7 MB, through posix_spawn (vfork) 8.9 MB; forked from this ~1 MB
 * process it reports what GNU time reports (about 1 MB). GNU time itself only gives 10 ms
 * of wall and CPU resolution.
 *
 * Protocol (stdin → stdout), one request at a time:
 *   request:  TIMEOUT_S \0 STDIN_PATH \0 STDOUT_PATH \0 STDERR_PATH \0 ARGV0 \0 ARGV1 \0 ... \0 \0
 *   answer:   "WAIT_STATUS WALL_NS UTIME_US STIME_US MAXRSS_KIB\n"
 * WAIT_STATUS is the raw status of wait4(2) (Python: os.waitstatus_to_exitcode). A command that
 * runs past TIMEOUT_S is ended by SIGALRM (alarm(2) survives execve). A command that cannot be
 * executed exits 127, as in a shell.
 *
 * Build: cc -O2 -o spawn bench/spawn.c (bench/compare.sh does it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_ARGS 256

static long long now_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void redirect(const char *path, int fd, int flags) {
    int f = open(path, flags, 0600);
    if (f < 0 || dup2(f, fd) < 0) {
        _exit(126);
    }
    if (f != fd) {
        close(f);
    }
}

int main(void) {
    char *fields[MAX_ARGS + 5];
    char *line = NULL;
    size_t cap = 0;
    for (;;) {
        /* Read one request: fields up to an empty one. */
        int n = 0;
        ssize_t len;
        while ((len = getdelim(&line, &cap, '\0', stdin)) > 0) {
            if (len == 1 && line[0] == '\0') {
                break;
            }
            if (n >= MAX_ARGS + 4) {
                fprintf(stderr, "spawn: too many arguments\n");
                return 2;
            }
            fields[n++] = strdup(line);
        }
        if (len <= 0) {
            return 0; /* the runner closed the pipe */
        }
        if (n < 5) {
            fprintf(stderr, "spawn: malformed request (%d fields)\n", n);
            return 2;
        }
        fields[n] = NULL;
        unsigned timeout = (unsigned)strtoul(fields[0], NULL, 10);

        struct rusage ru;
        int status = 0;
        long long t0 = now_ns();
        pid_t pid = fork();
        if (pid < 0) {
            perror("spawn: fork");
            return 2;
        }
        if (pid == 0) {
            redirect(fields[1], 0, O_RDONLY);
            redirect(fields[2], 1, O_WRONLY | O_CREAT | O_TRUNC);
            redirect(fields[3], 2, O_WRONLY | O_CREAT | O_TRUNC);
            alarm(timeout);
            execvp(fields[4], &fields[4]);
            _exit(127);
        }
        while (wait4(pid, &status, 0, &ru) < 0) {
            if (errno != EINTR) {
                perror("spawn: wait4");
                return 2;
            }
        }
        long long wall = now_ns() - t0;
        printf("%d %lld %lld %lld %ld\n", status, wall,
               (long long)ru.ru_utime.tv_sec * 1000000LL + ru.ru_utime.tv_usec,
               (long long)ru.ru_stime.tv_sec * 1000000LL + ru.ru_stime.tv_usec, ru.ru_maxrss);
        fflush(stdout);
        for (int i = 0; i < n; i++) {
            free(fields[i]);
        }
    }
}
