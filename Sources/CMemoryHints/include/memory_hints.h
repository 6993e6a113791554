// Hints to the CPU's caches and the kernel that Swift has no spelling for.
#ifndef RMQSTORE_MEMORY_HINTS_H
#define RMQSTORE_MEMORY_HINTS_H

/// Starts loading the cache line holding `address` for reading (no fault, no effect on the
/// program's meaning: an invalid address is ignored by the CPU).
static inline __attribute__((always_inline)) void rmq_prefetch_read(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// The same for a line about to be written.
static inline __attribute__((always_inline)) void rmq_prefetch_write(const void *address) {
    __builtin_prefetch(address, 1, 3);
}

/// Starts loading every cache line of [address, address + count) into the L2 cache (bytes
/// another core just wrote, that this one is about to walk through).
static inline void rmq_prefetch_range(const void *address, unsigned long count) {
    const char *p = (const char *)address;
    for (unsigned long i = 0; i < count; i += 64) __builtin_prefetch(p + i, 0, 2);
}

/// Starts the writeback of the dirty pages in [offset, offset + count) of a file (count 0: to
/// its end) without waiting for it: Linux sync_file_range SYNC_FILE_RANGE_WRITE, a no-op
/// elsewhere. It makes nothing durable: a later fsync does, and has less left to wait for.
int rmq_start_writeback(int fd, long long offset, long long count);

#endif
