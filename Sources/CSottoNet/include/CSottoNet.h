// CSottoNet: the Linux calls the media loops need that Swift's Glibc module does not expose. It is
// built without _GNU_SOURCE, so recvmmsg/sendmmsg, struct mmsghdr and sched_getaffinity's CPU_COUNT
// are missing, it has no <sys/epoll.h>, and the CMSG_* macros that read a timestamp are not callable.
// The media loops (one epoll set per loop, batched UDP I/O, arrival timestamps) need all of them.
//
// Imported by Transport (the loops and UDP sockets), sotto (one loop per allowed CPU) and
// sotto-loadgen (its media thread's epoll set).
#ifndef CSOTTONET_H
#define CSOTTONET_H

#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>

/// Mirrors struct mmsghdr (checked by a static assertion in net.c).
typedef struct {
    struct msghdr msg_hdr;
    unsigned int msg_len;
} CSottoNet_mmsghdr;

/// recvmmsg(2): receives up to `count` datagrams in one system call.
int CSottoNet_recvmmsg(int fd, CSottoNet_mmsghdr *messages, unsigned int count, int flags);
/// sendmmsg(2): sends up to `count` datagrams in one system call.
int CSottoNet_sendmmsg(int fd, CSottoNet_mmsghdr *messages, unsigned int count, int flags);

/// Asks the kernel to stamp every datagram `fd` receives with its arrival time (SO_TIMESTAMPNS,
/// CLOCK_REALTIME). 0 on success, -1 with errno.
int CSottoNet_enable_receive_timestamps(int fd);
/// Control-buffer bytes one datagram's arrival timestamp needs (CMSG_SPACE of a timespec).
unsigned int CSottoNet_timestamp_control_size(void);
/// The SCM_TIMESTAMPNS arrival time in `message`'s control data, in nanoseconds of CLOCK_REALTIME,
/// or -1 when there is none. CMSG_FIRSTHDR/CMSG_NXTHDR are macros Swift cannot call.
int64_t CSottoNet_receive_timestamp(const struct msghdr *message);

/// CPUs this process may run on (sched_getaffinity + CPU_COUNT, GNU-only and a macro): -1 when unknown.
int CSottoNet_allowed_cpu_count(void);

/// epoll_wait with a timeout in microseconds (epoll_pwait2(2), Linux 5.11; whole milliseconds, rounded up, on an
/// older kernel). 0 or less does not wait.
int CSottoNet_epoll_wait_us(int epfd, struct epoll_event *events, int max_events, int64_t timeout_us);

/// syncfs(2) (GNU-only): makes everything written to the file system holding `fd` durable, in one call. The
/// recording writer syncs all the chunks it wrote in a round with it instead of one fdatasync per file.
/// Returns 0, or -1 with errno set (since Linux 5.8 a writeback error on any file there is reported).
int CSottoNet_syncfs(int fd);

/// accept4(2) with SOCK_NONBLOCK | SOCK_CLOEXEC (GNU-only): the accepted socket is non-blocking and
/// close-on-exec from its first instant, with no window in which a fork and exec elsewhere could
/// inherit it. Returns the new fd, or -1 with errno.
int CSottoNet_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length);

#endif
