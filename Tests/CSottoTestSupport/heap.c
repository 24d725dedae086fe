// See CSottoTestSupport.h.
#include <malloc.h>
#include "CSottoTestSupport.h"

size_t CSottoTestSupport_heap_in_use(void) {
    return mallinfo2().uordblks;
}
