/*
 * sluice-srun: the fast path of srun inside an allocation, in C, because a JVM's start alone costs more than a
 * whole mpirun. Same wire protocol as the Java srun (docs/steps.md): POST the step to $SLUICE_NODE_AGENT with the
 * job token, print the NDJSON stream (line-buffered per task, --label), forward signals, exit with the step's code.
 *
 * It knows only the step options; for anything else (another option, a value to reject with Slurm's words,
 * --mpi=list, --help) it runs the Java srun instead: exec of $SLUICE_SRUN_BIN with SLUICE_SRUN_JAVA=1, so
 * every message and rule stays in one place. Build: make -C cli/native (bin/srun uses it when it is there).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

extern char **environ;

/* ---- growing strings ---------------------------------------------------------------------------------------- */

typedef struct { char *p; size_t len, cap; } buf_t;

static void buf_add(buf_t *b, const char *s, size_t n) {
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) { perror("srun"); exit(1); }
        b->p = p; b->cap = cap;
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = 0;
}
static void buf_str(buf_t *b, const char *s) { buf_add(b, s, strlen(s)); }
static void buf_fmt(buf_t *b, const char *fmt, ...) {
    char tmp[512];
    va_list ap; va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    buf_add(b, tmp, n < (int) sizeof tmp ? (size_t) n : sizeof tmp - 1);
}
static void buf_json(buf_t *b, const char *s) {
    buf_add(b, "\"", 1);
    for (const unsigned char *c = (const unsigned char *) s; *c; c++) {
        if (*c == '"' || *c == '\\') { char e[2] = {'\\', (char) *c}; buf_add(b, e, 2); }
        else if (*c < 0x20) buf_fmt(b, "\\u%04x", *c);
        else buf_add(b, (const char *) c, 1);
    }
    buf_add(b, "\"", 1);
}

/* ---- the command line ---------------------------------------------------------------------------------------- */

static struct {
    long ntasks, nodes_min, nodes_max, per_node, cpus, gpus;
    const char *dist, *bind, *mpi, *nodelist, *chdir;
    int kill, label, unbuffered;
    char **argv;
} opt = {-1, -1, -1, -1, -1, -1, NULL, NULL, NULL, NULL, NULL, 0, 0, 0, NULL};

static char **orig_argv;

/* Anything this client does not handle itself goes to the Java srun, which has every option and message. */
static void java_srun(void) {
    const char *bin = getenv("SLUICE_SRUN_BIN");
    if (!bin || !*bin) {
        fprintf(stderr, "srun: error: SLUICE_SRUN_BIN is not set; run bin/srun\n");
        exit(1);
    }
    setenv("SLUICE_SRUN_JAVA", "1", 1);
    orig_argv[0] = (char *) bin;
    execv(bin, orig_argv);
    fprintf(stderr, "srun: error: cannot run %s: %s\n", bin, strerror(errno));
    exit(1);
}

static long positive(const char *v) {
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || end == v || n <= 0 || n > INT_MAX) java_srun();
    return n;
}

/* A long option (name without dashes, value or NULL); returns 1 if it took the value. */
static int long_opt(const char *name, const char *value) {
#define NEED() do { if (!value) java_srun(); } while (0)
    if (!strcmp(name, "ntasks")) { NEED(); opt.ntasks = positive(value); return 1; }
    if (!strcmp(name, "nodes")) {
        NEED();
        const char *dash = strchr(value, '-');
        if (dash) {
            char min[32];
            if ((size_t) (dash - value) >= sizeof min) java_srun();
            memcpy(min, value, dash - value); min[dash - value] = 0;
            opt.nodes_min = positive(min); opt.nodes_max = positive(dash + 1);
            if (opt.nodes_max < opt.nodes_min) java_srun();
        } else {
            opt.nodes_min = opt.nodes_max = positive(value);
        }
        return 1;
    }
    if (!strcmp(name, "ntasks-per-node")) { NEED(); opt.per_node = positive(value); return 1; }
    if (!strcmp(name, "cpus-per-task")) { NEED(); opt.cpus = positive(value); return 1; }
    if (!strcmp(name, "gpus-per-task")) { NEED(); if (strchr(value, ':')) java_srun(); opt.gpus = positive(value); return 1; }
    if (!strcmp(name, "distribution")) {
        NEED();
        if (!strcmp(value, "block") || !strcmp(value, "cyclic")) { opt.dist = value; return 1; }
        java_srun();
    }
    if (!strcmp(name, "cpu-bind")) {
        NEED();
        if (!strcmp(value, "cores") || !strcmp(value, "none")) { opt.bind = value; return 1; }
        java_srun();
    }
    if (!strcmp(name, "mpi")) {
        NEED();
        if (!strcmp(value, "none") || !strcmp(value, "pmi2") || !strcmp(value, "pmix")) { opt.mpi = value; return 1; }
        java_srun();
    }
    if (!strcmp(name, "nodelist")) { NEED(); opt.nodelist = value; return 1; }
    if (!strcmp(name, "chdir")) { NEED(); opt.chdir = value; return 1; }
    if (!strcmp(name, "job-name")) { NEED(); return 1; }
    if (!strcmp(name, "kill-on-bad-exit")) { opt.kill = !value || strcmp(value, "0") != 0; return 0; }
    if (!strcmp(name, "label")) { if (value) java_srun(); opt.label = 1; return 0; }
    if (!strcmp(name, "unbuffered")) { if (value) java_srun(); opt.unbuffered = 1; return 0; }
    java_srun();
    return 0;
#undef NEED
}

static const char *short_name(char c) {
    switch (c) {
        case 'n': return "ntasks"; case 'N': return "nodes"; case 'c': return "cpus-per-task";
        case 'm': return "distribution"; case 'w': return "nodelist"; case 'D': return "chdir";
        case 'J': return "job-name"; case 'K': return "kill-on-bad-exit"; case 'l': return "label";
        case 'u': return "unbuffered"; default: return NULL;
    }
}

static void parse(int argc, char **argv) {
    int i = 1;
    for (; i < argc; i++) {
        char *w = argv[i];
        if (!strcmp(w, "--")) { i++; break; }
        if (!strncmp(w, "--", 2)) {
            char name[64];
            char *eq = strchr(w + 2, '=');
            size_t n = eq ? (size_t) (eq - w - 2) : strlen(w + 2);
            if (n >= sizeof name) java_srun();
            memcpy(name, w + 2, n); name[n] = 0;
            /* kill-on-bad-exit's value is optional and only ever attached; the others' may follow. */
            int takes = strcmp(name, "kill-on-bad-exit") && strcmp(name, "label") && strcmp(name, "unbuffered");
            const char *value = eq ? eq + 1 : (takes && i + 1 < argc ? argv[i + 1] : NULL);
            if (long_opt(name, value) && !eq) i++;
            continue;
        }
        if (w[0] == '-' && w[1]) {
            for (int j = 1; w[j]; j++) {
                const char *name = short_name(w[j]);
                if (!name) java_srun();
                if (w[j] == 'K' || w[j] == 'l' || w[j] == 'u') {
                    if (w[j] == 'K' && w[j + 1]) { long_opt(name, w + j + 1); break; }
                    long_opt(name, NULL);
                    continue;
                }
                if (w[j + 1]) { long_opt(name, w + j + 1); break; }
                if (i + 1 >= argc) java_srun();
                long_opt(name, argv[++i]);
                break;
            }
            continue;
        }
        break;
    }
    if (i >= argc) java_srun(); /* no command: the Java srun says so in Slurm's words */
    opt.argv = argv + i;
}

/* ---- HTTP ------------------------------------------------------------------------------------------------------ */

static char host[256], port[16];
static const char *token;
static long job_id;

static int connect_agent(void) {
    struct addrinfo hints = {0}, *res;
    hints.ai_socktype = SOCK_STREAM;
    int rc = getaddrinfo(host, port, &hints, &res);
    if (rc) { errno = EHOSTUNREACH; return -1; }
    int fd = -1;
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static int send_all(int fd, const char *p, size_t n) {
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0) { if (errno == EINTR) continue; return -1; }
        p += w; n -= (size_t) w;
    }
    return 0;
}

static int request(const char *method, const char *path, const char *body, size_t body_len) {
    int fd = connect_agent();
    if (fd < 0) return -1;
    buf_t h = {0};
    buf_fmt(&h, "%s %s HTTP/1.1\r\nHost: %s:%s\r\n", method, path, host, port);
    if (token) { buf_str(&h, "X-Sluice-Job-Token: "); buf_str(&h, token); buf_str(&h, "\r\n"); }
    buf_fmt(&h, "Content-Type: application/json\r\nAccept: application/x-ndjson\r\nContent-Length: %zu\r\n"
                "Connection: close\r\n\r\n", body_len);
    int rc = send_all(fd, h.p, h.len) || (body_len && send_all(fd, body, body_len));
    free(h.p);
    if (rc) { close(fd); return -1; }
    return fd;
}

/* The response body, de-chunked, read a piece at a time. */
typedef struct {
    int fd, status, chunked, eof;
    long remaining;              /* bytes left in the current chunk (chunked) or body (length; -1 = to close) */
    char raw[65536];
    size_t rpos, rlen;
} resp_t;

/*
 * Every wait for the agent also watches for signals (a self-pipe), so Ctrl-C is handled while srun waits in the
 * middle of a chunk as well as between lines. The step's stream is the only one whose wait does this.
 */
static void signals_pending(void);
static int stream_fd = -1;

static ssize_t recv_some(int fd, char *buf, size_t cap) {
    extern int sig_pipe[2];
    for (;;) {
        if (fd == stream_fd) {
            struct pollfd p[2] = {{fd, POLLIN, 0}, {sig_pipe[0], POLLIN, 0}};
            if (poll(p, 2, -1) < 0) {
                if (errno == EINTR) { signals_pending(); continue; }
                return -1;
            }
            if (p[1].revents & POLLIN) signals_pending();
            if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR))) continue;
        }
        ssize_t n = recv(fd, buf, cap, 0);
        if (n < 0 && errno == EINTR) continue;
        return n;
    }
}

static int raw_byte(resp_t *r) {
    if (r->rpos == r->rlen) {
        ssize_t n = recv_some(r->fd, r->raw, sizeof r->raw);
        if (n <= 0) return -1;
        r->rpos = 0; r->rlen = (size_t) n;
    }
    return (unsigned char) r->raw[r->rpos++];
}

static int raw_line(resp_t *r, char *out, size_t cap) {
    size_t n = 0;
    int c;
    while ((c = raw_byte(r)) >= 0) {
        if (c == '\n') { if (n && out[n - 1] == '\r') n--; out[n] = 0; return 0; }
        if (n + 1 < cap) out[n++] = (char) c;
    }
    return -1;
}

static int read_head(resp_t *r) {
    char line[8192];
    if (raw_line(r, line, sizeof line) || sscanf(line, "HTTP/%*s %d", &r->status) != 1) return -1;
    r->remaining = -1;
    while (!raw_line(r, line, sizeof line) && line[0]) {
        if (!strncasecmp(line, "transfer-encoding:", 18) && strcasestr(line + 18, "chunked")) r->chunked = 1;
        else if (!strncasecmp(line, "content-length:", 15)) r->remaining = atol(line + 15);
    }
    if (r->chunked) r->remaining = 0;
    return 0;
}

/* Up to cap body bytes into out; 0 at the end of the body. Blocks only when nothing is buffered. */
static ssize_t body_read(resp_t *r, char *out, size_t cap) {
    if (r->eof) return 0;
    if (r->chunked && r->remaining == 0) {
        char line[64];
        if (raw_line(r, line, sizeof line)) { r->eof = 1; return -1; }
        if (!line[0] && raw_line(r, line, sizeof line)) { r->eof = 1; return -1; } /* CRLF after a chunk */
        r->remaining = strtol(line, NULL, 16);
        if (r->remaining == 0) { r->eof = 1; return 0; }
    }
    if (!r->chunked && r->remaining == 0) { r->eof = 1; return 0; }
    if (r->rpos == r->rlen) {
        ssize_t n = recv_some(r->fd, r->raw, sizeof r->raw);
        if (n <= 0) { r->eof = 1; return r->remaining < 0 && !r->chunked ? 0 : -1; }
        r->rpos = 0; r->rlen = (size_t) n;
    }
    size_t n = r->rlen - r->rpos;
    if (r->remaining >= 0 && (size_t) r->remaining < n) n = (size_t) r->remaining;
    if (n > cap) n = cap;
    memcpy(out, r->raw + r->rpos, n);
    r->rpos += n;
    if (r->remaining > 0) r->remaining -= (long) n;
    return (ssize_t) n;
}

/* ---- a flat JSON object ---------------------------------------------------------------------------------------- */

#define MAXF 16
typedef struct { char key[32]; buf_t val; int is_null; } field_t;
typedef struct { field_t f[MAXF]; int n; } obj_t;

static const char *skip_ws(const char *p) { while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') p++; return p; }

static void put_utf8(buf_t *b, unsigned cp) {
    char u[4];
    if (cp < 0x80) { u[0] = (char) cp; buf_add(b, u, 1); }
    else if (cp < 0x800) { u[0] = (char) (0xC0 | cp >> 6); u[1] = (char) (0x80 | (cp & 0x3F)); buf_add(b, u, 2); }
    else if (cp < 0x10000) { u[0] = (char) (0xE0 | cp >> 12); u[1] = (char) (0x80 | (cp >> 6 & 0x3F)); u[2] = (char) (0x80 | (cp & 0x3F)); buf_add(b, u, 3); }
    else { u[0] = (char) (0xF0 | cp >> 18); u[1] = (char) (0x80 | (cp >> 12 & 0x3F)); u[2] = (char) (0x80 | (cp >> 6 & 0x3F)); u[3] = (char) (0x80 | (cp & 0x3F)); buf_add(b, u, 4); }
}

static const char *parse_string(const char *p, buf_t *out) {
    p++; /* opening quote */
    while (*p && *p != '"') {
        if (*p != '\\') { const char *s = p; while (*p && *p != '"' && *p != '\\') p++; if (out) buf_add(out, s, p - s); continue; }
        p++;
        char c = *p++;
        char e = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c == 'b' ? '\b' : c == 'f' ? '\f' : c;
        if (c == 'u') {
            unsigned cp = (unsigned) strtoul((char[5]){p[0], p[1], p[2], p[3], 0}, NULL, 16);
            p += 4;
            if (cp >= 0xD800 && cp < 0xDC00 && p[0] == '\\' && p[1] == 'u') {
                unsigned lo = (unsigned) strtoul((char[5]){p[2], p[3], p[4], p[5], 0}, NULL, 16);
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            }
            if (out) put_utf8(out, cp);
        } else if (out) {
            buf_add(out, &e, 1);
        }
    }
    return *p ? p + 1 : p;
}

static const char *skip_value(const char *p) {
    p = skip_ws(p);
    if (*p == '"') return parse_string(p, NULL);
    if (*p == '{' || *p == '[') {
        int depth = 0;
        while (*p) {
            if (*p == '"') { p = parse_string(p, NULL); continue; }
            if (*p == '{' || *p == '[') depth++;
            if (*p == '}' || *p == ']') { if (--depth == 0) return p + 1; }
            p++;
        }
        return p;
    }
    while (*p && *p != ',' && *p != '}') p++;
    return p;
}

static void obj_free(obj_t *o) { for (int i = 0; i < o->n; i++) free(o->f[i].val.p); o->n = 0; }

static int parse_obj(const char *p, obj_t *o) {
    o->n = 0;
    p = skip_ws(p);
    if (*p != '{') return -1;
    p = skip_ws(p + 1);
    while (*p == '"') {
        buf_t key = {0};
        p = skip_ws(parse_string(p, &key));
        if (*p != ':') { free(key.p); return -1; }
        p = skip_ws(p + 1);
        if (o->n < MAXF) {
            field_t *f = &o->f[o->n++];
            memset(f, 0, sizeof *f);
            snprintf(f->key, sizeof f->key, "%s", key.p ? key.p : "");
            if (*p == '"') p = parse_string(p, &f->val);
            else {
                const char *s = p;
                p = skip_value(p);
                f->is_null = !strncmp(s, "null", 4);
                buf_add(&f->val, s, p - s);
            }
            if (!f->val.p) buf_add(&f->val, "", 0);
        } else {
            p = skip_value(p);
        }
        free(key.p);
        p = skip_ws(p);
        if (*p == ',') p = skip_ws(p + 1);
    }
    return 0;
}

static const char *get(obj_t *o, const char *key) {
    for (int i = 0; i < o->n; i++) if (!strcmp(o->f[i].key, key)) return o->f[i].is_null ? NULL : o->f[i].val.p;
    return NULL;
}
static long get_long(obj_t *o, const char *key, long dflt) { const char *v = get(o, key); return v ? atol(v) : dflt; }

/* ---- output ---------------------------------------------------------------------------------------------------- */

static int width = 1, ntasks_seen = 0;
static buf_t *pend_out, *pend_err;
static char *done_tasks;
static long step_id = -1;
static int have_rc = 0, task_rc = 0, finished = 0, fin_code = 0, fin_signal = 0;
static char fin_state[32];

static void tasks(int n) {
    ntasks_seen = n;
    width = 1;
    for (int m = n - 1; m >= 10; m /= 10) width++;
    pend_out = calloc(n, sizeof *pend_out);
    pend_err = calloc(n, sizeof *pend_err);
    done_tasks = calloc(n, 1);
}

static void write_fd(int fd, const char *p, size_t n) {
    while (n) { ssize_t w = write(fd, p, n); if (w < 0) { if (errno == EINTR) continue; return; } p += w; n -= (size_t) w; }
}

static void emit(int fd, int task, const char *p, size_t n) {
    if (opt.label) {
        char pre[32];
        int k = snprintf(pre, sizeof pre, "%*d: ", width, task);
        buf_t line = {0};
        buf_add(&line, pre, (size_t) k);
        buf_add(&line, p, n);
        write_fd(fd, line.p, line.len);
        free(line.p);
    } else {
        write_fd(fd, p, n);
    }
}

static void data(int fd, buf_t *pend, int task, const char *d) {
    size_t n = strlen(d);
    if (task < 0 || task >= ntasks_seen) { write_fd(fd, d, n); return; }
    if (opt.unbuffered && !opt.label) { write_fd(fd, d, n); return; }
    buf_t *b = &pend[task];
    buf_add(b, d, n);
    size_t from = 0;
    for (size_t i = 0; i < b->len; i++) {
        if (b->p[i] == '\n') { emit(fd, task, b->p + from, i + 1 - from); from = i + 1; }
    }
    if (opt.unbuffered && from < b->len) { emit(fd, task, b->p + from, b->len - from); from = b->len; }
    memmove(b->p, b->p + from, b->len - from);
    b->len -= from;
    b->p[b->len] = 0;
}

static void flush_task(int task) {
    if (task < 0 || task >= ntasks_seen) return;
    if (pend_out[task].len) { emit(1, task, pend_out[task].p, pend_out[task].len); pend_out[task].len = 0; }
    if (pend_err[task].len) { emit(2, task, pend_err[task].p, pend_err[task].len); pend_err[task].len = 0; }
}

static const char *sig_name(int s) {
    switch (s) {
        case 1: return "Hangup"; case 2: return "Interrupt"; case 3: return "Quit"; case 4: return "Illegal instruction";
        case 6: return "Aborted"; case 7: return "Bus error"; case 8: return "Floating point exception";
        case 9: return "Killed"; case 10: return "User defined signal 1"; case 11: return "Segmentation fault";
        case 12: return "User defined signal 2"; case 13: return "Broken pipe"; case 14: return "Alarm clock";
        case 15: return "Terminated"; case 24: return "CPU time limit exceeded"; default: return NULL;
    }
}

static const char *strip_prefix(const char *m) { return strncmp(m, "srun: error: ", 13) ? m : m + 13; }

static void event(obj_t *e) {
    const char *type = get(e, "type");
    if (!type) return;
    if (!strcmp(type, "started")) {
        step_id = get_long(e, "stepId", -1);
        long n = get_long(e, "ntasks", 0);
        if (n > 0 && n != ntasks_seen) { if (ntasks_seen) { for (int t = 0; t < ntasks_seen; t++) flush_task(t); } tasks((int) n); }
    } else if (!strcmp(type, "out") || !strcmp(type, "err")) {
        const char *d = get(e, "data");
        if (d) data(type[0] == 'o' ? 1 : 2, type[0] == 'o' ? pend_out : pend_err, (int) get_long(e, "task", -1), d);
    } else if (!strcmp(type, "exit")) {
        int task = (int) get_long(e, "task", -1);
        flush_task(task);
        if (task >= 0 && task < ntasks_seen) done_tasks[task] = 1;
        int code = (int) get_long(e, "exitCode", 0), sig = (int) get_long(e, "signal", 0);
        const char *node = get(e, "node");
        int rc = sig > 0 ? 128 + sig : code;
        task_rc = have_rc && task_rc > rc ? task_rc : rc;
        have_rc = 1;
        if (sig > 0) {
            const char *name = sig_name(sig);
            if (name) dprintf(2, "srun: error: %s: task %d: %s\n", node ? node : "?", task, name);
            else dprintf(2, "srun: error: %s: task %d: Signal %d\n", node ? node : "?", task, sig);
        } else if (code) {
            dprintf(2, "srun: error: %s: task %d: Exited with exit code %d\n", node ? node : "?", task, code);
        }
    } else if (!strcmp(type, "error")) {
        for (int t = 0; t < ntasks_seen; t++) flush_task(t);
        const char *m = get(e, "message");
        dprintf(2, "srun: error: %s\n", strip_prefix(m ? m : ""));
    } else if (!strcmp(type, "finished")) {
        for (int t = 0; t < ntasks_seen; t++) flush_task(t);
        finished = 1;
        fin_code = (int) get_long(e, "exitCode", 0);
        fin_signal = (int) get_long(e, "signal", 0);
        const char *st = get(e, "state");
        snprintf(fin_state, sizeof fin_state, "%s", st ? st : "");
        const char *detail = get(e, "detail");
        /* A plain non-zero exit is already on its task's own line, as Slurm shows it; anything else is news. */
        int task_n, code_n, used = 0;
        int repeats = have_rc && task_rc && detail
                && sscanf(detail, "task %d on %*s exited with exit code %d%n", &task_n, &code_n, &used) == 2
                && detail[used] == 0;
        if (strcmp(fin_state, "COMPLETED") && detail && *detail && !repeats) dprintf(2, "srun: error: %s\n", strip_prefix(detail));
    }
}

static int exit_code(void) {
    int rc = have_rc ? task_rc : fin_signal > 0 ? 128 + fin_signal : fin_code;
    if (rc == 0 && strcmp(fin_state, "COMPLETED")) return 1;
    return rc;
}

/* ---- signals --------------------------------------------------------------------------------------------------- */

int sig_pipe[2];
static void on_signal(int s) { int e = errno; char c = (char) s; (void) !write(sig_pipe[1], &c, 1); errno = e; }

static void forward(const char *sig) {
    char path[128];
    snprintf(path, sizeof path, "/api/v1/jobs/%ld/steps/%ld/signal?signal=%s", job_id, step_id, sig);
    int fd = request("POST", path, "", 0);
    if (fd < 0) { dprintf(2, "srun: error: could not signal %ld.%ld: %s\n", job_id, step_id, strerror(errno)); return; }
    resp_t *r = calloc(1, sizeof *r);
    r->fd = fd;
    if (read_head(r) == 0 && r->status / 100 != 2) dprintf(2, "srun: error: could not signal %ld.%ld: HTTP %d\n", job_id, step_id, r->status);
    close(fd);
    free(r);
}

static double last_int = -10;
static int ints_sent = 0;

static void handle_signal(int s) {
    if (step_id < 0) {
        dprintf(2, "srun: Job step creation cancelled\n");
        shutdown(stream_fd, SHUT_RDWR);
        return;
    }
    if (s == SIGINT) {
        struct timeval tv;
        gettimeofday(&tv, NULL);
        double now = tv.tv_sec + tv.tv_usec / 1e6;
        if (now - last_int > 1.0) {
            last_int = now;
            buf_t running = {0};
            int count = 0;
            for (int t = 0; t < ntasks_seen; t++) {
                if (done_tasks[t]) continue;
                int u = t;
                while (u + 1 < ntasks_seen && !done_tasks[u + 1]) u++;
                if (running.len) buf_str(&running, ",");
                if (u > t) buf_fmt(&running, "%d-%d", t, u); else buf_fmt(&running, "%d", t);
                count += u - t + 1;
                t = u;
            }
            dprintf(2, "srun: interrupt (one more within 1 sec to abort)\nsrun: StepId=%ld.%ld task%s %s: running\n",
                    job_id, step_id, count == 1 ? "" : "s", running.p ? running.p : "");
            free(running.p);
            return;
        }
        if (ints_sent++ == 0) { dprintf(2, "srun: sending Ctrl-C to StepId=%ld.%ld\n", job_id, step_id); forward("INT"); }
        else { dprintf(2, "srun: forcing job termination\n"); forward("KILL"); }
        return;
    }
    forward(s == SIGTERM ? "TERM" : "HUP");
}

static void signals_pending(void) {
    char s;
    while (read(sig_pipe[0], &s, 1) == 1) handle_signal(s);
}

/* ---- main ------------------------------------------------------------------------------------------------------ */

int main(int argc, char **argv) {
    orig_argv = argv;
    const char *job = getenv("SLURM_JOB_ID"), *agent = getenv("SLUICE_NODE_AGENT");
    if (!job || !*job || !agent || !*agent || getenv("SLUICE_SRUN_JAVA")) java_srun();
    job_id = atol(job);
    token = getenv("SLUICE_JOB_TOKEN");
    parse(argc, argv);
    /* srun's input environment: the job's SLURM_NTASKS is the default -n when nothing else shapes the step. */
    const char *env_n = getenv("SLURM_NTASKS");
    if (opt.ntasks < 0 && opt.nodes_min < 0 && opt.per_node < 0 && env_n && *env_n) {
        char *end;
        long n = strtol(env_n, &end, 10);
        if (!*end && n > 0 && n < 10000000) opt.ntasks = n;
    }

    const char *a = strstr(agent, "://") ? strstr(agent, "://") + 3 : agent;
    const char *colon = strrchr(a, ':');
    if (!colon || (size_t) (colon - a) >= sizeof host) java_srun();
    memcpy(host, a, colon - a); host[colon - a] = 0;
    snprintf(port, sizeof port, "%.*s", (int) strcspn(colon + 1, "/"), colon + 1);

    char cwd[PATH_MAX];
    if (!getcwd(cwd, sizeof cwd)) strcpy(cwd, "/");
    buf_t dir = {0};
    if (opt.chdir && opt.chdir[0] == '/') buf_str(&dir, opt.chdir);
    else if (opt.chdir) { buf_str(&dir, cwd); buf_str(&dir, "/"); buf_str(&dir, opt.chdir); }
    else buf_str(&dir, cwd);
    char resolved[PATH_MAX];
    if (opt.chdir && realpath(dir.p, resolved)) { dir.len = 0; buf_str(&dir, resolved); }

    buf_t body = {0};
    buf_str(&body, "{\"argv\":[");
    for (char **w = opt.argv; *w; w++) { if (w != opt.argv) buf_str(&body, ","); buf_json(&body, *w); }
    buf_str(&body, "],\"env\":{");
    int first = 1;
    for (char **e = environ; *e; e++) {
        char *eq = strchr(*e, '=');
        if (!eq) continue;
        *eq = 0;
        if (!first) buf_str(&body, ",");
        first = 0;
        buf_json(&body, *e);
        buf_str(&body, ":");
        buf_json(&body, eq + 1);
        *eq = '=';
    }
    buf_str(&body, "},\"cwd\":");
    buf_json(&body, dir.p);
    if (opt.ntasks > 0) buf_fmt(&body, ",\"ntasks\":%ld", opt.ntasks);
    if (opt.nodes_min > 0) buf_fmt(&body, ",\"nodesMin\":%ld,\"nodesMax\":%ld", opt.nodes_min, opt.nodes_max);
    if (opt.per_node > 0) buf_fmt(&body, ",\"ntasksPerNode\":%ld", opt.per_node);
    if (opt.cpus > 0) buf_fmt(&body, ",\"cpusPerTask\":%ld", opt.cpus);
    if (opt.gpus > 0) buf_fmt(&body, ",\"gpusPerTask\":%ld", opt.gpus);
    if (opt.dist) { buf_str(&body, ",\"distribution\":"); buf_json(&body, opt.dist); }
    if (opt.bind) { buf_str(&body, ",\"cpuBind\":"); buf_json(&body, opt.bind); }
    if (opt.mpi) { buf_str(&body, ",\"mpi\":"); buf_json(&body, opt.mpi); }
    buf_fmt(&body, ",\"killOnBadExit\":%s", opt.kill ? "true" : "false");
    if (opt.nodelist) { buf_str(&body, ",\"nodelist\":"); buf_json(&body, opt.nodelist); }
    buf_fmt(&body, ",\"label\":%s}", opt.label ? "true" : "false");

    long expected = opt.ntasks > 0 ? opt.ntasks : (opt.nodes_min > 0 ? opt.nodes_min : 1) * (opt.per_node > 0 ? opt.per_node : 1);
    tasks((int) expected);

    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK)) { perror("srun"); return 1; }
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    char path[96];
    snprintf(path, sizeof path, "/api/v1/jobs/%ld/steps", job_id);
    int fd = request("POST", path, body.p, body.len);
    if (fd < 0) {
        dprintf(2, "srun: error: Unable to create step for job %ld: cannot reach the node agent at http://%s:%s (%s)\n",
                job_id, host, port, strerror(errno));
        return 1;
    }
    stream_fd = fd;
    resp_t *r = calloc(1, sizeof *r);
    r->fd = fd;
    if (read_head(r)) {
        dprintf(2, "srun: error: Unable to create step for job %ld: no answer from the node agent at http://%s:%s\n", job_id, host, port);
        return 1;
    }
    buf_t line = {0};
    char chunk[65536];
    if (r->status != 200) {
        ssize_t n;
        while ((n = body_read(r, chunk, sizeof chunk)) > 0) buf_add(&line, chunk, (size_t) n);
        obj_t o = {0};
        const char *err = line.p && !parse_obj(line.p, &o) ? get(&o, "error") : NULL;
        if (err) dprintf(2, "srun: error: %s\n", strip_prefix(err));
        else dprintf(2, "srun: error: Unexpected response from the node agent (HTTP %d)\n", r->status);
        return 1;
    }
    obj_t o = {0};
    while (!finished) {
        ssize_t n = body_read(r, chunk, sizeof chunk);
        if (n <= 0) break;
        buf_add(&line, chunk, (size_t) n);
        size_t from = 0;
        for (size_t i = 0; i < line.len && !finished; i++) {
            if (line.p[i] != '\n') continue;
            line.p[i] = 0;
            if (i > from && !parse_obj(line.p + from, &o)) { event(&o); obj_free(&o); }
            from = i + 1;
        }
        memmove(line.p, line.p + from, line.len - from);
        line.len -= from;
        line.p[line.len] = 0;
    }
    if (!finished) {
        dprintf(2, "srun: error: the node agent ended the stream of step %ld.", job_id);
        if (step_id < 0) dprintf(2, "?"); else dprintf(2, "%ld", step_id);
        dprintf(2, " before the step finished\n");
        return 1;
    }
    return exit_code();
}
