// Software prefetch ahead of a reader walking a mapped commitlog record by record.
//
// A walk that dispatches or checks records without their bodies touches two or three cache
// lines of each ~1 KiB record (the header, then topic and properties behind the body). The
// hardware prefetchers do not follow that pattern, so each touch waited for memory: perf put
// 80% of the properties parser's time on its first load, and most of the decoder's on the
// header. Asking for every line a few KiB ahead of the reader keeps them in flight instead.

import CMemoryHints

public struct ReadAhead {
    /// How far ahead of the reader lines are requested: a few records, well beyond the
    /// memory latency at the walk's speed, well within the L2 cache.
    public static let distance = 4096
    @usableFromInline static let lineSize = 64

    @usableFromInline let base: UnsafeRawPointer
    @usableFromInline let end: Int
    @usableFromInline var next = 0

    /// For a reader of `bytes` starting at `start`; requests nothing at or past `end` (the
    /// data's end).
    public init(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, end: Int? = nil) {
        base = bytes.baseAddress ?? UnsafeRawPointer(bitPattern: 64)!
        self.end = min(end ?? bytes.count, bytes.count)
        next = max(0, start) & ~(Self.lineSize - 1)
    }

    /// The reader is at `position`: requests the lines up to `position + distance`.
    @inlinable @inline(__always)
    public mutating func advance(to position: Int) {
        let target = min(position &+ Self.distance, end)
        while next < target {
            rmq_prefetch_read(base + next)
            next &+= Self.lineSize
        }
    }
}
