// Socket calls Swift's Glibc module does not expose: it is built without _GNU_SOURCE, so
// recvmmsg/sendmmsg and struct mmsghdr are missing, and it has no <sys/epoll.h>. The media loops
// (one epoll set per loop, batched UDP I/O) need all of them.
#ifndef CSOTTOSHIMS_NET_H
#define CSOTTOSHIMS_NET_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

/// Mirrors struct mmsghdr (checked by a static assertion in net_shims.c).
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CSottoShims_mmsghdr;

/// recvmmsg(2): receives up to `count` datagrams in one system call.
int CSottoShims_recvmmsg(int fd, CSottoShims_mmsghdr *messages, unsigned int count, int flags);
/// sendmmsg(2): sends up to `count` datagrams in one system call.
int CSottoShims_sendmmsg(int fd, CSottoShims_mmsghdr *messages, unsigned int count, int flags);

/// CPUs this process may run on (sched_getaffinity + CPU_COUNT, GNU-only and a macro): -1 when unknown.
int CSottoShims_allowed_cpu_count(void);

#endif
