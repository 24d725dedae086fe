// See CSottoProcess.h.
#include <sys/prctl.h>
#include "CSottoProcess.h"

int CSottoProcess_set_dumpable(int dumpable) {
    return prctl(PR_SET_DUMPABLE, (unsigned long)dumpable, 0UL, 0UL, 0UL);
}

int CSottoProcess_get_dumpable(void) {
    return prctl(PR_GET_DUMPABLE, 0UL, 0UL, 0UL, 0UL);
}
