// Reads a file front to back through one chunk buffer (pread), for walks that visit each
// record once and keep nothing.
//
// Mapping the file is the other way, and the way of every reader that jumps around. For a
// single sequential pass it costs more: every 4 KiB page gets a page-table entry from a fault
// (or a populate helper) and loses it again in munmap. On the development VM, a cached 1 GiB
// commitlog took 160 ms to map, touch and unmap, and 80 ms to pread in 256 KiB pieces with
// every cache line read back; the walk then finds its bytes in the cache the copy left them in.
// With `readsAhead`, a helper at idle priority reads the next chunks meanwhile where a core
// has time to spare (`ChunkReadAhead`); the reader reads a chunk itself when it is not ready.
//
// A request that straddles two chunks is served from a stitch buffer holding only its own
// bytes, so every record is seen contiguous, whatever its size; one longer than
// `largestStitch` (a huge record, or a damaged TOTALSIZE) from a map of the file instead.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMemoryHints

public final class SequentialReader {
    public let path: String
    /// Bytes per chunk: small enough to stay in the cache until the walk reads them.
    public let chunkSize: Int
    /// The most the stitch copies for one request.
    public static let largestStitch = 16 << 20

    private let fd: Int32
    /// The current chunk's bytes: `ownChunk`, or a slot of `readAhead`.
    private var chunk: UnsafeMutableRawPointer
    private let ownChunk: UnsafeMutableRawPointer
    private let readAhead: ChunkReadAhead?
    // The current chunk holds the file's [chunkStart, chunkEnd); `atEnd` when that reaches the
    // end of the file. The stitch holds [stitchStart, stitchEnd), chunkStart ≤ stitchEnd ≤
    // chunkEnd while in use.
    private var loaded = false
    private var chunkStart = 0
    private var chunkEnd = 0
    private var atEnd = false
    private var stitch: UnsafeMutableRawPointer
    private var stitchCapacity = 64 << 10
    private var stitchStart = 0
    private var stitchEnd = 0
    private var mapped: MappedRegion?
    /// A chunk the helper read is in its core's cache: lines are requested `prefetchDistance`
    /// ahead of the reader (up to `prefetched`), rather than missed one by one. A chunk read
    /// here is in this core's cache already.
    private var prefetches = false
    private var prefetched = 0
    private static let prefetchDistance = 8192

    /// `readsAhead`: a helper thread at idle priority reads the next chunks (for a walk whose
    /// other threads leave a core part idle).
    public init(path: String, chunkSize: Int = 256 << 10, readsAhead: Bool = false) throws(StoreError) {
        self.path = path
        self.chunkSize = max(4096, chunkSize)
        fd = try FileSystem.openForReading(path)
        _ = posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL)
        ownChunk = UnsafeMutableRawPointer.allocate(byteCount: self.chunkSize, alignment: 4096)
        chunk = ownChunk
        stitch = UnsafeMutableRawPointer.allocate(byteCount: stitchCapacity, alignment: 64)
        var st = stat()
        if readsAhead, fstat(fd, &st) == 0 {
            readAhead = ChunkReadAhead(fd: fd, fileSize: Int(st.st_size), chunkSize: self.chunkSize, slots: 4)
        } else {
            readAhead = nil
        }
    }

    deinit {
        readAhead?.stop()
        ownChunk.deallocate()
        stitch.deallocate()
        close(fd)
    }

    /// The file's bytes from `position` on: at least `count` of them, or all up to the end of
    /// the file when fewer remain (empty at or past the end). Valid until the next call.
    /// A position may not be before the previous call's; it may jump ahead.
    public func bytes(from position: Int, atLeast count: Int) throws(StoreError) -> UnsafeRawBufferPointer {
        precondition(position >= 0, "SequentialReader positions are file offsets")
        if loaded, position >= chunkStart, position + count <= chunkEnd || (atEnd && position <= chunkEnd) {
            if prefetches && prefetched < position + Self.prefetchDistance { prefetchAhead(of: position) }
            return UnsafeRawBufferPointer(start: chunk + (position - chunkStart), count: chunkEnd - position)
        }
        if stitchEnd > stitchStart, position >= stitchStart, position + count <= stitchEnd {
            return UnsafeRawBufferPointer(start: stitch + (position - stitchStart), count: stitchEnd - position)
        }
        if count > Self.largestStitch {
            if mapped == nil { mapped = try MappedRegion(path: path, sequential: false) }
            let bytes = mapped!.bytes
            return position < bytes.count ? UnsafeRawBufferPointer(rebasing: bytes[position...]) : UnsafeRawBufferPointer(start: nil, count: 0)
        }
        if loaded, position < chunkStart {
            // Inside the stitch, wanting more of it (a record after its first 8 bytes).
            precondition(position >= stitchStart && position <= stitchEnd, "SequentialReader reads forward only")
            memmove(stitch, stitch + (position - stitchStart), stitchEnd - position)
            stitchStart = position
        } else {
            if !loaded || position >= chunkEnd {
                // A first read, or a jump past the chunk: the chunk holding `position`.
                if loaded && atEnd { return UnsafeRawBufferPointer(start: nil, count: 0) }
                try read(from: position - position % chunkSize)
            }
            if position + count <= chunkEnd || atEnd {
                guard position <= chunkEnd else { return UnsafeRawBufferPointer(start: nil, count: 0) }
                return UnsafeRawBufferPointer(start: chunk + (position - chunkStart), count: chunkEnd - position)
            }
            stitchStart = position
            stitchEnd = position
        }
        try extendStitch(to: position + count)
        return UnsafeRawBufferPointer(start: stitch, count: stitchEnd - position)
    }

    private func prefetchAhead(of position: Int) {
        let target = min(position + Self.prefetchDistance, chunkEnd)
        let from = max(prefetched, position)
        if target > from { rmq_prefetch_range(chunk + (from - chunkStart), UInt(target - from)) }
        prefetched = target
    }

    /// Copies the file's bytes up to `target` (or its end) onto the stitch, chunk by chunk (the
    /// chunk's bytes are taken before the next read replaces them).
    private func extendStitch(to target: Int) throws(StoreError) {
        if target - stitchStart > stitchCapacity {
            let grown = max(target - stitchStart, 2 * stitchCapacity)
            let larger = UnsafeMutableRawPointer.allocate(byteCount: grown, alignment: 64)
            larger.copyMemory(from: stitch, byteCount: stitchEnd - stitchStart)
            stitch.deallocate()
            stitch = larger
            stitchCapacity = grown
        }
        while stitchEnd < target {
            if stitchEnd == chunkEnd {
                if atEnd { return }
                try read(from: chunkEnd)
            }
            let take = min(target, chunkEnd) - stitchEnd
            (stitch + (stitchEnd - stitchStart)).copyMemory(from: chunk + (stitchEnd - chunkStart), byteCount: take)
            stitchEnd += take
        }
    }

    /// Reads the chunk at `start` (a multiple of the chunk size), or takes it from the helper.
    private func read(from start: Int) throws(StoreError) {
        let length: Int
        if let taken = readAhead?.take(start / chunkSize) {
            guard taken.length >= 0 else {
                let code = Int32(-taken.length)
                throw StoreError(.io, path: path, offset: Int64(start), "read failed: \(FileSystem.errorText(code))", errno: code)
            }
            chunk = taken.bytes
            length = taken.length
            prefetched = start
            prefetches = true
        } else {
            chunk = ownChunk
            prefetches = false
            length = try FileSystem.readFully(
                fd, path: path, into: UnsafeMutableRawBufferPointer(start: chunk, count: chunkSize), count: chunkSize,
                at: Int64(start))
        }
        loaded = true
        chunkStart = start
        chunkEnd = start + length
        atEnd = length < chunkSize
    }
}
