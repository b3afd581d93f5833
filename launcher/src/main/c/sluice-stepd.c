/*
 * sluice-stepd: the per-step launcher (what slurmstepd is to slurmd).
 *
 * The node agent runs every task through this small program so that the
 * privileged, failure-prone part of a launch (cgroups, affinity, limits,
 * credentials) happens in a short-lived process of its own: a fault here fails
 * one step, never the agent's JVM. See launcher/README.md for the contract.
 *
 * Order of operations (each step needs what the previous ones left):
 *   cgroup join -> affinity -> rlimits -> umask + open files (as the user)
 *   -> setgroups/setgid/setuid -> chdir (as the user) -> exec
 *
 * C11 + POSIX/Linux libc only.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SETUP_ERROR_EXIT 254
#define MAX_MULTI 64
#define MAX_GROUPS 1024
#define ERRMSG_MAX 1024

static const char *PROG = "sluice-stepd";

struct rlimit_opt {
    int resource;
    const char *name;
    struct rlimit value;
    bool hard_given;
};

struct options {
    bool has_uid, has_gid, has_groups, has_umask, setsid, append;
    uid_t uid;
    gid_t gid;
    gid_t groups[MAX_GROUPS];
    size_t ngroups;
    const char *chdir_dir;
    const char *cgroup_procs[MAX_MULTI];
    size_t ncgroup_procs;
    const char *cpus;
    struct rlimit_opt rlimits[MAX_MULTI];
    size_t nrlimits;
    const char *stdout_path, *stderr_path, *stdin_path;
    mode_t umask_value;
    const char *status_file, *pid_file;
    char **argv;
};

/* The write end of the child's error pipe (status-file mode), -1 otherwise. */
static int error_pipe_fd = -1;

/* Set while the supervising parent runs: its own errors still owe the caller a status file. */
static const char *parent_status_file = NULL;

static int write_atomically(const char *path, const char *content);
static void url_encode(const char *in, char *out, size_t outlen);

/* ---------------------------------------------------------------- errors */

/*
 * One line on the current stderr (the job's error file once it is open) and,
 * in status-file mode, the same message to the parent so it can put it in the
 * status file. Never returns.
 */
static void setup_error(int err, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
static void setup_error(int err, const char *fmt, ...) {
    char what[ERRMSG_MAX / 2];
    char line[ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    int n;
    if (err != 0) {
        n = snprintf(line, sizeof line, "%s: %s", what, strerror(err));
    } else {
        n = snprintf(line, sizeof line, "%s", what);
    }
    if (n < 0) n = 0;
    if ((size_t) n >= sizeof line) n = sizeof line - 1;
    dprintf(STDERR_FILENO, "%s: error: %s\n", PROG, line);
    if (error_pipe_fd >= 0) {
        ssize_t ignored = write(error_pipe_fd, line, (size_t) n);
        (void) ignored;
    } else if (parent_status_file != NULL) {
        char enc[3 * ERRMSG_MAX + 1];
        char status[4 * ERRMSG_MAX];
        url_encode(line, enc, sizeof enc);
        snprintf(status, sizeof status, "exit_code=%d signal=0 user_ms=0 system_ms=0 max_rss_kb=0 error=%s\n",
                 SETUP_ERROR_EXIT, enc);
        write_atomically(parent_status_file, status);
    }
    _exit(SETUP_ERROR_EXIT);
}

/* ---------------------------------------------------------------- parsing */

static bool parse_ulong(const char *s, unsigned long long *out) {
    if (s == NULL || *s == '\0' || !isdigit((unsigned char) *s)) return false;
    errno = 0;
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0') return false;
    *out = v;
    return true;
}

static bool parse_id(const char *s, unsigned int *out) {
    unsigned long long v;
    /* (uid_t) -1 means "unchanged" to the set*id calls: never accept it. */
    if (!parse_ulong(s, &v) || v >= UINT32_MAX) return false;
    *out = (unsigned int) v;
    return true;
}

static void parse_groups(struct options *o, const char *s) {
    o->ngroups = 0;
    o->has_groups = true;
    if (*s == '\0') return; /* "--groups ''": no supplementary groups at all */
    char *copy = strdup(s);
    if (copy == NULL) setup_error(errno, "--groups");
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        unsigned int g;
        if (!parse_id(tok, &g)) setup_error(0, "--groups: not a numeric group id: '%s'", tok);
        if (o->ngroups >= MAX_GROUPS) setup_error(0, "--groups: more than %d groups", MAX_GROUPS);
        o->groups[o->ngroups++] = (gid_t) g;
    }
    free(copy);
}

static bool parse_cpu_list(const char *s, cpu_set_t *set) {
    CPU_ZERO(set);
    const char *p = s;
    if (*p == '\0') return false;
    while (*p != '\0') {
        char *end;
        if (!isdigit((unsigned char) *p)) return false;
        unsigned long lo = strtoul(p, &end, 10);
        unsigned long hi = lo;
        p = end;
        if (*p == '-') {
            p++;
            if (!isdigit((unsigned char) *p)) return false;
            hi = strtoul(p, &end, 10);
            p = end;
        }
        if (hi < lo || hi >= CPU_SETSIZE) return false;
        for (unsigned long c = lo; c <= hi; c++) CPU_SET(c, set);
        if (*p == ',') {
            p++;
            if (*p == '\0') return false;
        } else if (*p != '\0') {
            return false;
        }
    }
    return true;
}

static const struct {
    const char *name;
    int resource;
} RLIMIT_NAMES[] = {
    {"core", RLIMIT_CORE}, {"memlock", RLIMIT_MEMLOCK}, {"nofile", RLIMIT_NOFILE},
    {"nproc", RLIMIT_NPROC}, {"stack", RLIMIT_STACK}, {"as", RLIMIT_AS},
    {"cpu", RLIMIT_CPU}, {"fsize", RLIMIT_FSIZE},
};

static bool parse_rlim_value(const char *s, rlim_t *out) {
    if (strcmp(s, "unlimited") == 0) {
        *out = RLIM_INFINITY;
        return true;
    }
    unsigned long long v;
    if (!parse_ulong(s, &v) || v >= (unsigned long long) RLIM_INFINITY) return false;
    *out = (rlim_t) v;
    return true;
}

static void parse_rlimit(struct options *o, const char *spec) {
    if (o->nrlimits >= MAX_MULTI) setup_error(0, "--rlimit: too many limits");
    const char *eq = strchr(spec, '=');
    if (eq == NULL) setup_error(0, "--rlimit: expected NAME=SOFT[:HARD], got '%s'", spec);
    struct rlimit_opt *r = &o->rlimits[o->nrlimits];
    r->name = NULL;
    for (size_t i = 0; i < sizeof RLIMIT_NAMES / sizeof RLIMIT_NAMES[0]; i++) {
        if (strlen(RLIMIT_NAMES[i].name) == (size_t) (eq - spec)
            && strncmp(RLIMIT_NAMES[i].name, spec, (size_t) (eq - spec)) == 0) {
            r->name = RLIMIT_NAMES[i].name;
            r->resource = RLIMIT_NAMES[i].resource;
        }
    }
    if (r->name == NULL) setup_error(0, "--rlimit: unknown limit name in '%s'", spec);
    char value[128];
    if (strlen(eq + 1) >= sizeof value) setup_error(0, "--rlimit: value too long in '%s'", spec);
    strcpy(value, eq + 1);
    char *colon = strchr(value, ':');
    if (colon != NULL) *colon = '\0';
    if (!parse_rlim_value(value, &r->value.rlim_cur)) setup_error(0, "--rlimit: bad soft limit in '%s'", spec);
    r->hard_given = colon != NULL;
    if (r->hard_given) {
        if (!parse_rlim_value(colon + 1, &r->value.rlim_max)) setup_error(0, "--rlimit: bad hard limit in '%s'", spec);
        /* RLIM_INFINITY is the largest rlim_t, so this also covers "unlimited". */
        if (r->value.rlim_cur > r->value.rlim_max) setup_error(0, "--rlimit: soft limit above hard limit in '%s'", spec);
    }
    o->nrlimits++;
}

static void usage_error(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
static void usage_error(const char *fmt, ...) {
    char what[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    setup_error(0, "%s (usage: %s [options] -- program args...)", what, PROG);
}

static void parse_options(int argc, char **argv, struct options *o) {
    memset(o, 0, sizeof *o);
    /* Find the status file first so that even a usage error is reported through it. */
    for (int j = 1; j + 1 < argc && strcmp(argv[j], "--") != 0; j++) {
        if (strcmp(argv[j], "--status-file") == 0) parent_status_file = argv[j + 1];
    }
    int i = 1;
    for (; i < argc; i++) {
        const char *opt = argv[i];
        if (strcmp(opt, "--") == 0) {
            i++;
            break;
        }
        /* Flags without a value. */
        if (strcmp(opt, "--setsid") == 0) {
            o->setsid = true;
            continue;
        }
        if (strncmp(opt, "--", 2) != 0) usage_error("unexpected argument '%s' before '--'", opt);
        if (i + 1 >= argc) usage_error("option %s needs a value", opt);
        const char *val = argv[++i];
        unsigned int id;
        if (strcmp(opt, "--uid") == 0) {
            if (!parse_id(val, &id)) usage_error("--uid: not a numeric user id: '%s'", val);
            o->has_uid = true;
            o->uid = (uid_t) id;
        } else if (strcmp(opt, "--gid") == 0) {
            if (!parse_id(val, &id)) usage_error("--gid: not a numeric group id: '%s'", val);
            o->has_gid = true;
            o->gid = (gid_t) id;
        } else if (strcmp(opt, "--groups") == 0) {
            parse_groups(o, val);
        } else if (strcmp(opt, "--chdir") == 0) {
            o->chdir_dir = val;
        } else if (strcmp(opt, "--cgroup-procs") == 0) {
            if (o->ncgroup_procs >= MAX_MULTI) usage_error("too many %s options", opt);
            o->cgroup_procs[o->ncgroup_procs++] = val;
        } else if (strcmp(opt, "--cpus") == 0) {
            cpu_set_t probe;
            if (!parse_cpu_list(val, &probe)) usage_error("--cpus: bad cpu list '%s' (expected e.g. 0-3,6)", val);
            o->cpus = val;
        } else if (strcmp(opt, "--rlimit") == 0) {
            parse_rlimit(o, val);
        } else if (strcmp(opt, "--stdout") == 0) {
            o->stdout_path = val;
        } else if (strcmp(opt, "--stderr") == 0) {
            o->stderr_path = val;
        } else if (strcmp(opt, "--stdin") == 0) {
            o->stdin_path = val;
        } else if (strcmp(opt, "--open-mode") == 0) {
            if (strcmp(val, "append") == 0) o->append = true;
            else if (strcmp(val, "truncate") == 0) o->append = false;
            else usage_error("--open-mode: expected truncate or append, got '%s'", val);
        } else if (strcmp(opt, "--umask") == 0) {
            char *end;
            errno = 0;
            long m = strtol(val, &end, 8);
            if (*val == '\0' || *end != '\0' || errno != 0 || m < 0 || m > 0777) usage_error("--umask: not an octal mask: '%s'", val);
            o->has_umask = true;
            o->umask_value = (mode_t) m;
        } else if (strcmp(opt, "--status-file") == 0) {
            o->status_file = val;
        } else if (strcmp(opt, "--pid-file") == 0) {
            o->pid_file = val;
        } else {
            usage_error("unknown option '%s'", opt);
        }
    }
    if (i >= argc) usage_error("no program given after '--'");
    o->argv = &argv[i];
    /* Without an explicit gid a task started as a user would keep root's group. */
    if (o->has_uid && !o->has_gid) usage_error("--uid needs --gid");
}

/* ---------------------------------------------------------------- files */

/* Writes content to path through a temporary file and rename(), so readers see all or nothing. */
static int write_atomically(const char *path, const char *content) {
    size_t len = strlen(path) + 32;
    char *tmp = malloc(len);
    if (tmp == NULL) return -1;
    snprintf(tmp, len, "%s.tmp.%ld", path, (long) getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        free(tmp);
        return -1;
    }
    size_t left = strlen(content);
    const char *p = content;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0) {
            if (errno == EINTR) continue;
            int saved = errno;
            close(fd);
            unlink(tmp);
            free(tmp);
            errno = saved;
            return -1;
        }
        p += w;
        left -= (size_t) w;
    }
    if (close(fd) != 0 || rename(tmp, path) != 0) {
        int saved = errno;
        unlink(tmp);
        free(tmp);
        errno = saved;
        return -1;
    }
    free(tmp);
    return 0;
}

static void write_pid_file(const char *path, pid_t pid) {
    char buf[32];
    snprintf(buf, sizeof buf, "%ld\n", (long) pid);
    if (write_atomically(path, buf) != 0) setup_error(errno, "cannot write pid file %s", path);
}

/* Relative output paths are relative to the task's working directory, as in Slurm. */
static char *resolve(const struct options *o, const char *path) {
    if (path[0] == '/' || o->chdir_dir == NULL) return strdup(path);
    size_t len = strlen(o->chdir_dir) + strlen(path) + 2;
    char *full = malloc(len);
    if (full != NULL) snprintf(full, len, "%s/%s", o->chdir_dir, path);
    return full;
}

static void redirect(int fd, int target) {
    if (fd == target) return;
    if (dup2(fd, target) < 0) setup_error(errno, "dup2");
    close(fd);
}

static void open_files(const struct options *o) {
    int flags = O_WRONLY | O_CREAT | (o->append ? O_APPEND : O_TRUNC);
    if (o->stdin_path != NULL) {
        char *p = resolve(o, o->stdin_path);
        int fd = open(p, O_RDONLY);
        if (fd < 0) setup_error(errno, "cannot open stdin file %s", p);
        redirect(fd, STDIN_FILENO);
        free(p);
    }
    struct stat out_st;
    bool have_out = false;
    if (o->stdout_path != NULL) {
        char *p = resolve(o, o->stdout_path);
        int fd = open(p, flags, 0666);
        if (fd < 0) setup_error(errno, "cannot open stdout file %s", p);
        have_out = fstat(fd, &out_st) == 0;
        redirect(fd, STDOUT_FILENO);
        free(p);
    }
    if (o->stderr_path != NULL) {
        char *p = resolve(o, o->stderr_path);
        /* Same file as stdout: share one open file description so the two streams interleave instead of overwriting each other. */
        struct stat st;
        if (have_out && stat(p, &st) == 0 && st.st_dev == out_st.st_dev && st.st_ino == out_st.st_ino) {
            if (dup2(STDOUT_FILENO, STDERR_FILENO) < 0) setup_error(errno, "dup2");
        } else {
            int fd = open(p, flags, 0666);
            if (fd < 0) setup_error(errno, "cannot open stderr file %s", p);
            redirect(fd, STDERR_FILENO);
        }
        free(p);
    }
}

/* ---------------------------------------------------------------- credentials */

static bool switching_user(const struct options *o) {
    return o->has_uid || o->has_gid || o->has_groups;
}

static void supplementary_groups(const struct options *o, const gid_t **list, size_t *n) {
    if (o->has_groups) {
        *list = o->groups;
        *n = o->ngroups;
    } else {
        /* Never let a task inherit the launcher's (root's) supplementary groups. */
        *list = &o->gid;
        *n = 1;
    }
}

/*
 * Files must be created by the user (ownership, and the user's permission
 * checks), but the permanent drop comes later: take the user's identity as
 * effective ids only, open, and come back.
 */
static void open_files_as_user(const struct options *o) {
    bool as_user = geteuid() == 0 && o->has_uid && o->uid != 0;
    if (!as_user) {
        open_files(o);
        return;
    }
    const gid_t *groups;
    size_t n;
    supplementary_groups(o, &groups, &n);
    gid_t saved_egid = getegid();
    if (setgroups(n, groups) != 0) setup_error(errno, "setgroups");
    if (setegid(o->gid) != 0) setup_error(errno, "setegid(%u)", (unsigned) o->gid);
    if (seteuid(o->uid) != 0) setup_error(errno, "seteuid(%u)", (unsigned) o->uid);
    open_files(o);
    if (seteuid(0) != 0) setup_error(errno, "seteuid(0)");
    if (setegid(saved_egid) != 0) setup_error(errno, "setegid(%u)", (unsigned) saved_egid);
}

static void drop_privileges(const struct options *o) {
    if (!switching_user(o)) return;
    if (o->has_uid || o->has_groups) {
        const gid_t *groups;
        size_t n;
        supplementary_groups(o, &groups, &n);
        if (setgroups(n, groups) != 0) setup_error(errno, "setgroups");
    }
    if (o->has_gid && setgid(o->gid) != 0) setup_error(errno, "setgid(%u)", (unsigned) o->gid);
    if (o->has_uid && setuid(o->uid) != 0) setup_error(errno, "setuid(%u)", (unsigned) o->uid);
    if (o->has_uid && o->uid != 0) {
        /* Refuse to run a user's task with any way back to root. */
        if (getuid() == 0 || geteuid() == 0 || setuid(0) == 0) setup_error(0, "still root after setuid(%u)", (unsigned) o->uid);
    }
}

/* ---------------------------------------------------------------- setup */

static void join_cgroups(const struct options *o) {
    char buf[32];
    int n = snprintf(buf, sizeof buf, "%ld\n", (long) getpid());
    for (size_t i = 0; i < o->ncgroup_procs; i++) {
        int fd = open(o->cgroup_procs[i], O_WRONLY | O_CLOEXEC);
        if (fd < 0) setup_error(errno, "cannot open cgroup file %s", o->cgroup_procs[i]);
        if (write(fd, buf, (size_t) n) != n) setup_error(errno, "cannot join cgroup %s", o->cgroup_procs[i]);
        if (close(fd) != 0) setup_error(errno, "cannot join cgroup %s", o->cgroup_procs[i]);
    }
}

static void set_affinity(const struct options *o) {
    if (o->cpus == NULL) return;
    cpu_set_t set;
    parse_cpu_list(o->cpus, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) setup_error(errno, "sched_setaffinity(%s)", o->cpus);
}

static void set_rlimits(const struct options *o) {
    for (size_t i = 0; i < o->nrlimits; i++) {
        const struct rlimit_opt *r = &o->rlimits[i];
        struct rlimit lim = r->value;
        if (!r->hard_given) {
            /* Like Slurm's PropagateResourceLimits: set the soft limit, raise the hard one only when it is in the way. */
            struct rlimit cur;
            if (getrlimit(r->resource, &cur) != 0) setup_error(errno, "getrlimit(%s)", r->name);
            lim.rlim_max = cur.rlim_max;
            if (cur.rlim_max != RLIM_INFINITY && (lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > cur.rlim_max)) {
                lim.rlim_max = lim.rlim_cur;
            }
        }
        if (setrlimit(r->resource, &lim) != 0) setup_error(errno, "setrlimit(%s)", r->name);
    }
}

static void reset_signals(void) {
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigemptyset(&dfl.sa_mask);
    for (int s = 1; s < NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP) continue;
        sigaction(s, &dfl, NULL); /* fails harmlessly for the reserved real-time signals */
    }
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
}

/* The task must not inherit the agent's descriptors (sockets, Kafka connections, ...). */
static void cloexec_inherited_fds(void) {
#ifdef SYS_close_range
    if (syscall(SYS_close_range, 3U, ~0U, 4U /* CLOSE_RANGE_CLOEXEC */) == 0) return;
#endif
    long max = sysconf(_SC_OPEN_MAX);
    if (max < 0 || max > 65536) max = 65536;
    for (int fd = 3; fd < max; fd++) {
        if (fd == error_pipe_fd) continue;
        int fl = fcntl(fd, F_GETFD);
        if (fl >= 0) fcntl(fd, F_SETFD, fl | FD_CLOEXEC);
    }
}

/*
 * setsid() fails only for a process group leader (e.g. started by an interactive shell with job control): it then
 * already has a group of its own that signals can be sent to, which is what the session is for.
 */
static void new_session_or_group(void) {
    if (setsid() < 0 && !(errno == EPERM && getpgrp() == getpid())) setup_error(errno, "setsid");
}

/* Everything from cgroup join to exec: runs in the process that becomes the task. */
static void setup_and_exec(const struct options *o, bool new_session) __attribute__((noreturn));
static void setup_and_exec(const struct options *o, bool new_session) {
    if (new_session) new_session_or_group();
    join_cgroups(o);
    set_affinity(o);
    set_rlimits(o);
    if (o->has_umask) umask(o->umask_value);
    open_files_as_user(o);
    drop_privileges(o);
    if (o->chdir_dir != NULL && chdir(o->chdir_dir) != 0) setup_error(errno, "cannot chdir to %s", o->chdir_dir);
    cloexec_inherited_fds();
    reset_signals();
    execvp(o->argv[0], o->argv);
    /* ETXTBSY: a multithreaded caller (the node agent, launching several jobs at once) may have forked another
     * child while it still held this freshly written script open for writing; that child closes the descriptor
     * within moments, so wait for it (as Go's os/exec does) rather than fail the job. */
    for (int tries = 0; errno == ETXTBSY && tries < 200; tries++) {
        struct timespec pause = {0, 10 * 1000 * 1000};
        nanosleep(&pause, NULL);
        execvp(o->argv[0], o->argv);
    }
    setup_error(errno, "cannot execute %s", o->argv[0]);
}

/* ---------------------------------------------------------------- supervisor (status-file mode) */

static volatile pid_t task_pid = 0;

static void forward_signal(int sig) {
    int saved = errno;
    pid_t pid = task_pid;
    if (pid > 0) {
        /* Before the task's setsid() its process group does not exist yet. */
        if (kill(-pid, sig) != 0 && errno == ESRCH) kill(pid, sig);
    }
    errno = saved;
}

static const int FORWARDED[] = {SIGTERM, SIGINT, SIGHUP, SIGUSR1, SIGUSR2, SIGCONT};
#define NFORWARDED (sizeof FORWARDED / sizeof FORWARDED[0])

static void url_encode(const char *in, char *out, size_t outlen) {
    static const char HEX[] = "0123456789ABCDEF";
    size_t j = 0;
    for (const unsigned char *p = (const unsigned char *) in; *p != '\0' && j + 4 < outlen; p++) {
        if (isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
            out[j++] = (char) *p;
        } else {
            out[j++] = '%';
            out[j++] = HEX[*p >> 4];
            out[j++] = HEX[*p & 15];
        }
    }
    out[j] = '\0';
}

static long long to_ms(struct timeval tv) {
    return (long long) tv.tv_sec * 1000LL + tv.tv_usec / 1000;
}

static int supervise(const struct options *o) {
    /* Detached from the caller's session, the supervisor outlives an agent restart and ignores its terminal. */
    if (o->setsid) new_session_or_group();
    /* Orphaned descendants (daemonised helpers) come back to us, so their usage is counted too. */
    prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) != 0) setup_error(errno, "pipe");

    /* Signals arriving between fork() and the handlers being in place must not be lost or kill us. */
    sigset_t block, saved_mask;
    sigemptyset(&block);
    for (size_t i = 0; i < NFORWARDED; i++) sigaddset(&block, FORWARDED[i]);
    sigprocmask(SIG_BLOCK, &block, &saved_mask);

    pid_t pid = fork();
    if (pid < 0) setup_error(errno, "fork");
    if (pid == 0) {
        close(pipefd[0]);
        parent_status_file = NULL;
        error_pipe_fd = pipefd[1];
        setup_and_exec(o, true);
    }
    close(pipefd[1]);
    task_pid = pid;

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = forward_signal;
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < NFORWARDED; i++) sigaction(FORWARDED[i], &sa, NULL);
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);

    /* EOF without data: the exec succeeded (the pipe is close-on-exec). */
    char errmsg[ERRMSG_MAX + 1];
    size_t errlen = 0;
    for (;;) {
        ssize_t r = read(pipefd[0], errmsg + errlen, ERRMSG_MAX - errlen);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        errlen += (size_t) r;
        if (errlen >= ERRMSG_MAX) break;
    }
    errmsg[errlen] = '\0';
    close(pipefd[0]);

    bool pid_file_failed = false;
    int pid_file_errno = 0;
    if (errlen == 0 && o->pid_file != NULL) {
        char buf[32];
        snprintf(buf, sizeof buf, "%ld\n", (long) pid);
        if (write_atomically(o->pid_file, buf) != 0) {
            pid_file_failed = true;
            pid_file_errno = errno;
        }
    }

    long long user_ms = 0, system_ms = 0, max_rss_kb = 0;
    int status = 0;
    for (;;) {
        struct rusage ru;
        int st;
        pid_t w = wait4(-1, &st, 0, &ru);
        if (w < 0) {
            if (errno == EINTR) continue;
            setup_error(errno, "wait4");
        }
        user_ms += to_ms(ru.ru_utime);
        system_ms += to_ms(ru.ru_stime);
        if (ru.ru_maxrss > max_rss_kb) max_rss_kb = ru.ru_maxrss;
        if (w == pid) {
            status = st;
            break;
        }
    }
    task_pid = 0;

    int exit_code = 0, signal_no = 0, launcher_exit;
    if (WIFSIGNALED(status)) {
        signal_no = WTERMSIG(status);
        launcher_exit = 128 + signal_no;
    } else {
        exit_code = WEXITSTATUS(status);
        launcher_exit = exit_code;
    }
    if (errlen == 0 && pid_file_failed) {
        /* The task ran, but the caller could not have tracked it: still report it as a launcher error. */
        snprintf(errmsg, sizeof errmsg, "cannot write pid file %s: %s", o->pid_file, strerror(pid_file_errno));
        errlen = strlen(errmsg);
        dprintf(STDERR_FILENO, "%s: error: %s\n", PROG, errmsg);
    }

    char line[4 * ERRMSG_MAX];
    int n = snprintf(line, sizeof line, "exit_code=%d signal=%d user_ms=%lld system_ms=%lld max_rss_kb=%lld",
                     errlen > 0 ? SETUP_ERROR_EXIT : exit_code, errlen > 0 ? 0 : signal_no,
                     user_ms, system_ms, max_rss_kb);
    if (errlen > 0) {
        char enc[3 * ERRMSG_MAX + 1];
        url_encode(errmsg, enc, sizeof enc);
        n += snprintf(line + n, sizeof line - (size_t) n, " error=%s", enc);
        launcher_exit = SETUP_ERROR_EXIT;
    }
    snprintf(line + n, sizeof line - (size_t) n, "\n");
    parent_status_file = NULL; /* from here on a failure cannot be reported through the status file */
    if (write_atomically(o->status_file, line) != 0) {
        dprintf(STDERR_FILENO, "%s: error: cannot write status file %s: %s\n", PROG, o->status_file, strerror(errno));
        return SETUP_ERROR_EXIT;
    }
    return launcher_exit;
}

int main(int argc, char **argv) {
    struct options o;
    parse_options(argc, argv, &o);
    if (o.status_file != NULL) return supervise(&o);
    /* Direct mode: no extra process, the launcher's pid is the task's pid. */
    if (o.pid_file != NULL) write_pid_file(o.pid_file, getpid());
    setup_and_exec(&o, o.setsid);
}
