/*
 * floor_relay: the benchmark's floor. A UDP relay with no crypto, no signalling and one thread, doing
 * what Sotto's media loop does minus SRTP and minus Dispatch: one epoll set (level-triggered EPOLLIN),
 * a blocking epoll_wait, and per ready socket one recvmmsg (up to 32 datagrams) and one sendmmsg out of
 * the paired socket. What it costs per packet is what the kernel's UDP path costs; see
 * docs/bench-compare.md.
 *
 *     floor_relay --ip 127.0.0.1 --ports 40000-43999
 *
 * Ports: the range must hold an even number of ports; ports FIRST+2k and FIRST+2k+1 are call k's two
 * legs (pair k). A datagram received on one port of a pair leaves by the other port, to that port's
 * latched address: the source address of the last datagram received on it. While the other port has no
 * latched address yet the datagram is dropped and counted. So each side of a call must send once before
 * it can receive (sotto-loadgen --floor sends a latch packet from both sides first).
 *
 * On SIGTERM or SIGINT it prints its counters on standard output and exits 0. It prints one line when
 * every socket is bound ("floor_relay: ready ...").
 *
 * Build: cc -O2 -std=c11 -Wall -o floor_relay floor_relay.c (Linux only; run.py does it).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

enum { BATCH = 32, DATAGRAM = 2048, EVENTS = 256 };

static volatile sig_atomic_t stop_requested = 0;

static void on_signal(int signum) {
    (void)signum;
    stop_requested = 1;
}

struct counters {
    unsigned long long received;   /* datagrams read */
    unsigned long long sent;       /* datagrams the kernel accepted from sendmmsg */
    unsigned long long dropped;    /* datagrams whose other leg had no latched address yet */
    unsigned long long send_errors;/* datagrams sendmmsg did not accept */
    unsigned long long wakeups;    /* epoll_wait returns with at least one event */
};

static int usage(const char *self) {
    fprintf(stderr, "usage: %s --ip IPv4 --ports FIRST-LAST   (an even number of ports; FIRST+2k and "
                    "FIRST+2k+1 are pair k)\n", self);
    return 2;
}

static int parse_ports(const char *text, unsigned *first, unsigned *last) {
    char *end = NULL;
    unsigned long a = strtoul(text, &end, 10);
    if (end == text || *end != '-') return -1;
    const char *rest = end + 1;
    unsigned long b = strtoul(rest, &end, 10);
    if (end == rest || *end != '\0') return -1;
    if (a == 0 || b > 65535 || b < a || (b - a + 1) % 2 != 0) return -1;
    *first = (unsigned)a;
    *last = (unsigned)b;
    return 0;
}

/* Lets the process hold `needed` descriptors if the hard limit allows it. */
static void raise_fd_limit(rlim_t needed) {
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= needed) return;
    limit.rlim_cur = limit.rlim_max == RLIM_INFINITY || limit.rlim_max >= needed ? needed : limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
}

int main(int argc, char **argv) {
    const char *ip = NULL, *ports = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--ip") == 0 && i + 1 < argc) {
            ip = argv[++i];
        } else if (strcmp(argv[i], "--ports") == 0 && i + 1 < argc) {
            ports = argv[++i];
        } else {
            return usage(argv[0]);
        }
    }
    unsigned first, last;
    struct in_addr address;
    if (ip == NULL || ports == NULL || parse_ports(ports, &first, &last) != 0 || inet_pton(AF_INET, ip, &address) != 1)
        return usage(argv[0]);
    const unsigned count = last - first + 1;
    raise_fd_limit((rlim_t)count + 64);

    struct sigaction action;
    memset(&action, 0, sizeof action);
    action.sa_handler = on_signal; /* no SA_RESTART: epoll_wait returns EINTR */
    sigaction(SIGTERM, &action, NULL);
    sigaction(SIGINT, &action, NULL);

    int *fds = calloc(count, sizeof *fds);
    struct sockaddr_in *latched = calloc(count, sizeof *latched);
    unsigned char *has_latch = calloc(count, 1);
    if (fds == NULL || latched == NULL || has_latch == NULL) {
        perror("floor_relay: calloc");
        return 1;
    }
    int epoll = epoll_create1(EPOLL_CLOEXEC);
    if (epoll < 0) {
        perror("floor_relay: epoll_create1");
        return 1;
    }
    for (unsigned i = 0; i < count; i++) {
        int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (fd < 0) {
            perror("floor_relay: socket");
            return 1;
        }
        struct sockaddr_in bind_to = {.sin_family = AF_INET, .sin_port = htons((uint16_t)(first + i)),
                                      .sin_addr = address};
        if (bind(fd, (struct sockaddr *)&bind_to, sizeof bind_to) != 0) {
            fprintf(stderr, "floor_relay: bind %s:%u: %s\n", ip, first + i, strerror(errno));
            return 1;
        }
        struct epoll_event event = {.events = EPOLLIN, .data.u32 = i};
        if (epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event) != 0) {
            perror("floor_relay: epoll_ctl");
            return 1;
        }
        fds[i] = fd;
    }

    /* One receive batch, reused: its slots are sent on unchanged, only the destination differs. */
    static unsigned char buffers[BATCH][DATAGRAM];
    static struct iovec vectors[BATCH];
    static struct sockaddr_in sources[BATCH];
    static struct mmsghdr inbound[BATCH], outbound[BATCH];
    for (int k = 0; k < BATCH; k++) {
        vectors[k].iov_base = buffers[k];
        vectors[k].iov_len = DATAGRAM;
    }
    struct counters total = {0};
    struct epoll_event events[EVENTS];

    printf("floor_relay: ready, %u pairs on %s:%u-%u\n", count / 2, ip, first, last);
    fflush(stdout);

    while (!stop_requested) {
        int ready = epoll_wait(epoll, events, EVENTS, -1);
        if (ready < 0) {
            if (errno == EINTR) continue;
            perror("floor_relay: epoll_wait");
            return 1;
        }
        if (ready > 0) total.wakeups++;
        for (int e = 0; e < ready; e++) {
            unsigned in = events[e].data.u32;
            unsigned out = in ^ 1u; /* the pair's other port */
            for (int k = 0; k < BATCH; k++) {
                vectors[k].iov_len = DATAGRAM;
                inbound[k].msg_hdr = (struct msghdr){.msg_name = &sources[k], .msg_namelen = sizeof sources[k],
                                                     .msg_iov = &vectors[k], .msg_iovlen = 1};
            }
            int got = recvmmsg(fds[in], inbound, BATCH, MSG_DONTWAIT, NULL);
            if (got <= 0) continue;
            total.received += (unsigned long long)got;
            /* Latching: this port's peer is whoever sent the last datagram to it. */
            latched[in] = sources[got - 1];
            has_latch[in] = 1;
            if (!has_latch[out]) {
                total.dropped += (unsigned long long)got;
                continue;
            }
            for (int k = 0; k < got; k++) {
                vectors[k].iov_len = inbound[k].msg_len;
                outbound[k].msg_hdr = (struct msghdr){.msg_name = &latched[out], .msg_namelen = sizeof latched[out],
                                                      .msg_iov = &vectors[k], .msg_iovlen = 1};
            }
            int sent = sendmmsg(fds[out], outbound, (unsigned)got, MSG_DONTWAIT);
            if (sent < 0) sent = 0;
            total.sent += (unsigned long long)sent;
            total.send_errors += (unsigned long long)(got - sent);
        }
    }
    printf("floor_relay: received %llu, sent %llu, dropped %llu (no latched peer), send errors %llu, "
           "wakeups %llu\n", total.received, total.sent, total.dropped, total.send_errors, total.wakeups);
    fflush(stdout);
    return 0;
}
