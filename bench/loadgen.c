/* loadgen: a small epoll load generator (and echo server) for bench/echo.py.
 *
 *   loadgen pingpong HOST PORT CONNS SECONDS WARMUP MSGSIZE
 *       CONNS connections, each sends MSGSIZE bytes (newline-terminated) and waits for
 *       MSGSIZE bytes back before sending again.  Prints one JSON line: requests in the
 *       measured window, req/s, p50/p99 latency (1 us histogram) and the total including
 *       the warm-up (for CPU-per-request accounting by the caller).
 *   loadgen bulk HOST PORT CONNS SECONDS WARMUP CHUNK
 *       streams CHUNK-byte writes with at most 4 MiB in flight per connection; counts the
 *       echoed bytes.  Prints MB/s of echoed payload.
 *   loadgen serve HOST PORT
 *       a single-threaded epoll echo server (the reference peer for client benchmarks).
 *       Prints "PORT n" once listening, runs until killed.
 *
 * Build: gcc -O2 -o loadgen loadgen.c
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define HIST_MAX 200000 /* 200 ms in 1 us buckets; slower goes to the last bucket */
#define INFLIGHT (4 << 20)

typedef struct {
    int fd;
    size_t got;       /* bytes of the current reply received (pingpong) */
    double sent_at;   /* when the current request was sent (pingpong) */
    uint64_t out;     /* bytes written (bulk) */
    uint64_t in;      /* bytes read back (bulk) */
    int want_out;     /* registered for EPOLLOUT (bulk) */
} conn_t;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void die(const char *what) {
    fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
    exit(2);
}

static int dial(const char *host, int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) {
        fprintf(stderr, "loadgen: bad IPv4 address %s\n", host);
        exit(2);
    }
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) die("socket");
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("connect");
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void send_all(int fd, const char *buf, size_t n) {
    /* Requests are small: the socket buffer takes them whole; loop for safety. */
    while (n > 0) {
        ssize_t w = write(fd, buf, n);
        if (w < 0) {
            if (errno == EAGAIN || errno == EINTR) continue;
            die("write");
        }
        buf += w;
        n -= (size_t)w;
    }
}

static size_t percentile(const uint32_t *hist, uint64_t count, double q) {
    uint64_t target = (uint64_t)(count * q), seen = 0;
    for (size_t i = 0; i < HIST_MAX; i++) {
        seen += hist[i];
        if (seen > target) return i;
    }
    return HIST_MAX - 1;
}

static int run_pingpong(const char *host, int port, int nconn, double secs, double warm, size_t msg) {
    char *req = malloc(msg), *buf = malloc(65536);
    memset(req, 'x', msg);
    req[msg - 1] = '\n';
    uint32_t *hist = calloc(HIST_MAX, sizeof *hist);
    conn_t *c = calloc((size_t)nconn, sizeof *c);
    int ep = epoll_create1(0);
    for (int i = 0; i < nconn; i++) {
        c[i].fd = dial(host, port);
        struct epoll_event ev = {.events = EPOLLIN, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) < 0) die("epoll_ctl");
    }
    double t0 = now(), t_warm = t0 + warm, t_end = t_warm + secs, t_measure = 0;
    uint64_t total = 0, window = 0;
    int measuring = 0;
    for (int i = 0; i < nconn; i++) {
        c[i].sent_at = now();
        send_all(c[i].fd, req, msg);
    }
    struct epoll_event evs[512];
    for (;;) {
        double t = now();
        if (!measuring && t >= t_warm) {
            measuring = 1;
            t_measure = t;
        }
        if (t >= t_end) break;
        int n = epoll_wait(ep, evs, 512, 100);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int k = 0; k < n; k++) {
            conn_t *cc = &c[evs[k].data.u32];
            for (;;) {
                ssize_t r = read(cc->fd, buf, 65536);
                if (r < 0) {
                    if (errno == EAGAIN) break;
                    if (errno == EINTR) continue;
                    die("read");
                }
                if (r == 0) {
                    fprintf(stderr, "loadgen: server closed a connection\n");
                    return 3;
                }
                cc->got += (size_t)r;
                while (cc->got >= msg) {
                    double done = now();
                    cc->got -= msg;
                    total++;
                    if (measuring) {
                        window++;
                        size_t us = (size_t)((done - cc->sent_at) * 1e6);
                        hist[us < HIST_MAX ? us : HIST_MAX - 1]++;
                    }
                    if (cc->got == 0) {
                        cc->sent_at = done;
                        send_all(cc->fd, req, msg);
                    }
                }
                if ((size_t)r < 65536) break;
            }
        }
    }
    double measured = now() - t_measure;
    printf("{\"mode\": \"pingpong\", \"conns\": %d, \"msg\": %zu, \"secs\": %.4f, \"reqs\": %llu, "
           "\"total\": %llu, \"rps\": %.1f, \"p50_us\": %zu, \"p99_us\": %zu}\n",
           nconn, msg, measured, (unsigned long long)window, (unsigned long long)total,
           window / measured, percentile(hist, window, 0.50), percentile(hist, window, 0.99));
    for (int i = 0; i < nconn; i++) close(c[i].fd);
    return 0;
}

static int run_bulk(const char *host, int port, int nconn, double secs, double warm, size_t chunk) {
    char *out = malloc(chunk), *buf = malloc(1 << 18);
    memset(out, 'y', chunk);
    conn_t *c = calloc((size_t)nconn, sizeof *c);
    int ep = epoll_create1(0);
    for (int i = 0; i < nconn; i++) {
        c[i].fd = dial(host, port);
        c[i].want_out = 1;
        struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.u32 = (uint32_t)i};
        if (epoll_ctl(ep, EPOLL_CTL_ADD, c[i].fd, &ev) < 0) die("epoll_ctl");
    }
    double t0 = now(), t_warm = t0 + warm, t_end = t_warm + secs, t_measure = 0;
    uint64_t total = 0, at_warm = 0;
    int measuring = 0;
    struct epoll_event evs[512];
    for (;;) {
        double t = now();
        if (!measuring && t >= t_warm) {
            measuring = 1;
            t_measure = t;
            at_warm = total;
        }
        if (t >= t_end) break;
        int n = epoll_wait(ep, evs, 512, 100);
        if (n < 0) {
            if (errno == EINTR) continue;
            die("epoll_wait");
        }
        for (int k = 0; k < n; k++) {
            conn_t *cc = &c[evs[k].data.u32];
            if (evs[k].events & EPOLLIN) {
                for (;;) {
                    ssize_t r = read(cc->fd, buf, 1 << 18);
                    if (r < 0) {
                        if (errno == EAGAIN) break;
                        if (errno == EINTR) continue;
                        die("read");
                    }
                    if (r == 0) {
                        fprintf(stderr, "loadgen: server closed a connection\n");
                        return 3;
                    }
                    cc->in += (uint64_t)r;
                    total += (uint64_t)r;
                }
            }
            while (cc->out - cc->in < INFLIGHT) {
                ssize_t w = write(cc->fd, out, chunk);
                if (w < 0) {
                    if (errno == EAGAIN) break;
                    if (errno == EINTR) continue;
                    die("write");
                }
                cc->out += (uint64_t)w;
            }
            int want = cc->out - cc->in < INFLIGHT;
            if (want != cc->want_out) {
                struct epoll_event ev = {.events = EPOLLIN | (want ? EPOLLOUT : 0), .data.u32 = evs[k].data.u32};
                epoll_ctl(ep, EPOLL_CTL_MOD, cc->fd, &ev);
                cc->want_out = want;
            }
        }
    }
    double measured = now() - t_measure;
    uint64_t window = total - at_warm;
    printf("{\"mode\": \"bulk\", \"conns\": %d, \"chunk\": %zu, \"secs\": %.4f, \"bytes\": %llu, "
           "\"total\": %llu, \"mbps\": %.1f}\n",
           nconn, chunk, measured, (unsigned long long)window, (unsigned long long)total,
           window / measured / 1e6);
    for (int i = 0; i < nconn; i++) close(c[i].fd);
    return 0;
}

static int run_serve(const char *host, int port) {
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    inet_pton(AF_INET, host, &sa.sin_addr);
    int ls = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(ls, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind");
    if (listen(ls, 1024) < 0) die("listen");
    socklen_t len = sizeof sa;
    getsockname(ls, (struct sockaddr *)&sa, &len);
    printf("PORT %d\n", ntohs(sa.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = ls};
    epoll_ctl(ep, EPOLL_CTL_ADD, ls, &ev);
    char *buf = malloc(1 << 16);
    struct epoll_event evs[512];
    for (;;) {
        int n = epoll_wait(ep, evs, 512, -1);
        for (int k = 0; k < n; k++) {
            int fd = evs[k].data.fd;
            if (fd == ls) {
                int cfd = accept4(ls, NULL, NULL, SOCK_NONBLOCK);
                if (cfd < 0) continue;
                setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                struct epoll_event cev = {.events = EPOLLIN, .data.fd = cfd};
                epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &cev);
                continue;
            }
            ssize_t r = read(fd, buf, 1 << 16);
            if (r <= 0) {
                if (r < 0 && errno == EAGAIN) continue;
                close(fd);
                continue;
            }
            /* Echo servers for ping-pong never fill the send buffer; block-loop if they do. */
            ssize_t off = 0;
            while (off < r) {
                ssize_t w = write(fd, buf + off, (size_t)(r - off));
                if (w < 0) {
                    if (errno == EAGAIN || errno == EINTR) continue;
                    close(fd);
                    break;
                }
                off += w;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc >= 4 && strcmp(argv[1], "serve") == 0) return run_serve(argv[2], atoi(argv[3]));
    if (argc != 8) {
        fprintf(stderr, "usage: loadgen pingpong|bulk HOST PORT CONNS SECONDS WARMUP SIZE | loadgen serve HOST PORT\n");
        return 2;
    }
    const char *host = argv[2];
    int port = atoi(argv[3]), nconn = atoi(argv[4]);
    double secs = atof(argv[5]), warm = atof(argv[6]);
    size_t size = (size_t)atol(argv[7]);
    if (nconn < 1 || secs <= 0 || size < 1) {
        fprintf(stderr, "loadgen: CONNS, SECONDS and SIZE must be positive\n");
        return 2;
    }
    if (strcmp(argv[1], "pingpong") == 0) return run_pingpong(host, port, nconn, secs, warm, size);
    if (strcmp(argv[1], "bulk") == 0) return run_bulk(host, port, nconn, secs, warm, size);
    fprintf(stderr, "loadgen: unknown mode %s\n", argv[1]);
    return 2;
}
