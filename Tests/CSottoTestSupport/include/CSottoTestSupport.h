// CSottoTestSupport: C that only tests need. It exists because glibc's mallinfo2 lives in <malloc.h>,
// which Swift's Glibc module does not expose. MediaTests imports it; nothing that ships does.
#ifndef CSOTTOTESTSUPPORT_H
#define CSOTTOTESTSUPPORT_H

#include <stddef.h>

/// Bytes the allocator has handed out and not had back (mallinfo2's uordblks): for tests that check
/// memory returns to where it was.
size_t CSottoTestSupport_heap_in_use(void);

#endif
