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

/// Asks the kernel to stamp every datagram `fd` receives with its arrival time (SO_TIMESTAMPNS,
/// CLOCK_REALTIME). 0 on success, -1 with errno.
int CSottoShims_enable_receive_timestamps(int fd);
/// Control-buffer bytes one datagram's arrival timestamp needs (CMSG_SPACE of a timespec).
unsigned int CSottoShims_timestamp_control_size(void);
/// The SCM_TIMESTAMPNS arrival time in `message`'s control data, in nanoseconds of CLOCK_REALTIME,
/// or -1 when there is none. CMSG_FIRSTHDR/CMSG_NXTHDR are macros Swift cannot call.
int64_t CSottoShims_receive_timestamp(const struct msghdr *message);

/// CPUs this process may run on (sched_getaffinity + CPU_COUNT, GNU-only and a macro): -1 when unknown.
int CSottoShims_allowed_cpu_count(void);

#endif
