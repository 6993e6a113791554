// The prefetch functions are static inline in the header; SwiftPM wants one source file per C
// target, and the writeback hint needs _GNU_SOURCE, which a header imported by Swift cannot set.
#define _GNU_SOURCE
#include <fcntl.h>
#include "memory_hints.h"

int rmq_start_writeback(int fd, long long offset, long long count) {
#ifdef __linux__
    return sync_file_range(fd, offset, count, SYNC_FILE_RANGE_WRITE);
#else
    (void)fd;
    (void)offset;
    (void)count;
    return 0;
#endif
}
