// See CSottoShims_Net.h: the GNU-only socket calls, compiled with _GNU_SOURCE.
#define _GNU_SOURCE
#include <sched.h>
#include <sys/socket.h>
#include "CSottoShims_Net.h"

_Static_assert(sizeof(CSottoShims_mmsghdr) == sizeof(struct mmsghdr), "mmsghdr layout");

int CSottoShims_recvmmsg(int fd, CSottoShims_mmsghdr *messages, unsigned int count, int flags) {
    return recvmmsg(fd, (struct mmsghdr *)messages, count, flags, NULL);
}

int CSottoShims_sendmmsg(int fd, CSottoShims_mmsghdr *messages, unsigned int count, int flags) {
    return sendmmsg(fd, (struct mmsghdr *)messages, count, flags);
}

int CSottoShims_allowed_cpu_count(void) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof(set), &set) != 0) {
        return -1;
    }
    return CPU_COUNT(&set);
}
