// See CSottoNet.h: the GNU-only calls, compiled with _GNU_SOURCE.
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "CSottoNet.h"

_Static_assert(sizeof(CSottoNet_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");

int CSottoNet_recvmmsg(int fd, CSottoNet_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int CSottoNet_sendmmsg(int fd, CSottoNet_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int CSottoNet_enable_receive_timestamps(int fd) {
    int on = 1;
    return setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
}

unsigned int CSottoNet_timestamp_control_size(void) {
    return CMSG_SPACE(sizeof(struct timespec));
}

int64_t CSottoNet_receive_timestamp(const struct msghdr *message) {
    for (struct cmsghdr *header = CMSG_FIRSTHDR((struct msghdr *)message); header != NULL;
         header = CMSG_NXTHDR((struct msghdr *)message, header)) {
        if (header->cmsg_level == SOL_SOCKET && header->cmsg_type == SCM_TIMESTAMPNS &&
            header->cmsg_len >= CMSG_LEN(sizeof(struct timespec))) {
            struct timespec stamp;
            memcpy(&stamp, CMSG_DATA(header), sizeof(stamp));
            return (int64_t)stamp.tv_sec * 1000000000 + stamp.tv_nsec;
        }
    }
    return -1;
}

int CSottoNet_allowed_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return -1;
    }
    return CPU_COUNT(&set);
}

int CSottoNet_epoll_wait_us(int epfd, struct epoll_event *events, int max_events, int64_t timeout_us) {
    if (timeout_us <= 0) {
        return epoll_wait(epfd, events, max_events, 0);
    }
    struct timespec timeout = {.tv_sec = timeout_us / 1000000, .tv_nsec = (timeout_us % 1000000) * 1000};
    int ready = epoll_pwait2(epfd, events, max_events, &timeout, NULL);
    if (ready < 0 && errno == ENOSYS) {
        // A kernel before 5.11: whole milliseconds, rounded up.
        return epoll_wait(epfd, events, max_events, (int)((timeout_us + 999) / 1000));
    }
    return ready;
}

int CSottoNet_accept_nonblocking(int fd, struct sockaddr *address, socklen_t *length) {
    return accept4(fd, address, length, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

int CSottoNet_syncfs(int fd) { return syncfs(fd); }
