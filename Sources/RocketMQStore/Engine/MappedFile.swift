// A read-write memory map of one segment file, RocketMQ's `MappedFile` without a transient pool.
//
// A new file is created at its full size with ftruncate, so it reads as zeros exactly like the
// `RandomAccessFile.setLength` file a broker allocates (and costs no disk until written). Bytes
// are appended into the map (page cache); `flush` forces the dirty range with msync(MS_SYNC).
// Positions are atomics: one writer appends, while readers, the flush thread and the dispatcher
// read `wrotePosition` concurrently. An offline builder may buffer its appends instead
// (`bufferAppends`: written with pwrite, for a file nobody reads until it is flushed).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMemoryHints
import Synchronization

public final class MappedFile: @unchecked Sendable {
    // Immutable after init except the atomics and `isFirstCreateInQueue` (writer-only).
    public let path: String
    public let fileName: String
    /// The global offset of byte 0 (`fileFromOffset`, the file name).
    public let fileFromOffset: Int64
    public let fileSize: Int
    private let base: UnsafeMutableRawPointer
    private let descriptor: Int32
    private let wrote = Atomic<Int>(0)
    private let flushed = Atomic<Int>(0)
    private let lastStoreTimestamp = Atomic<Int64>(0)
    private let unmapped = Atomic<Bool>(false)
    /// Set when the file was the first created in an empty queue (ConsumeQueue's pre-blank rule).
    /// (These three without a run-time exclusivity check: read or written by the one writing
    /// thread on every append, where the checks cost more than the append.)
    @exclusivity(unchecked) public var isFirstCreateInQueue = false
    /// Appends not yet written when they are buffered (`bufferAppends`): the bytes of
    /// `[bufferedFrom, wrotePosition)`. Writer-only.
    @exclusivity(unchecked) private var appendBuffer: UnsafeMutableRawBufferPointer?
    @exclusivity(unchecked) private var bufferedFrom = 0
    /// Where buffered appends not yet handed to writeback start (`startEarlyWriteback`).
    @exclusivity(unchecked) private var writebackFrom = 0

    static let pageSize: Int = Int(sysconf(Int32(_SC_PAGESIZE)))

    /// Opens (or, with `create`, creates at full size) the file at `path` and maps it
    /// read-write. An existing file must be exactly `fileSize` bytes, as the broker requires.
    public init(path: String, fileFromOffset: Int64, fileSize: Int, create: Bool) throws(StoreError) {
        precondition(fileSize > 0, "fileSize must be positive")
        self.path = path
        self.fileName = path.split(separator: "/").last.map(String.init) ?? path
        self.fileFromOffset = fileFromOffset
        self.fileSize = fileSize
        let flags = O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0)
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw StoreError(.io, path: path, "cannot open for writing: \(FileSystem.errorText(code))", errno: code)
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            close(fd)
            throw StoreError(.io, path: path, "cannot stat: \(FileSystem.errorText(code))", errno: code)
        }
        if Int(st.st_size) != fileSize {
            guard create, st.st_size == 0 else {
                close(fd)
                throw StoreError(.badData, path: path,
                                 "file is \(st.st_size) bytes, expected the configured mapped file size \(fileSize)")
            }
            guard ftruncate(fd, off_t(fileSize)) == 0 else {
                let code = errno
                close(fd)
                throw StoreError(.io, path: path, "cannot size to \(fileSize) bytes: \(FileSystem.errorText(code))",
                                 errno: code)
            }
            // Make the new name durable: a sync-flushed record must not vanish with its file.
            Self.syncDirectory(of: path)
        }
        guard let pointer = mmap(nil, fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), pointer != MAP_FAILED else {
            let code = errno
            close(fd)
            throw StoreError(.io, path: path, "cannot map \(fileSize) bytes: \(FileSystem.errorText(code))", errno: code)
        }
        base = pointer
        descriptor = fd
    }

    deinit { unmap() }

    /// Unmaps and closes (idempotent). The object must not be used afterwards.
    public func unmap() {
        guard !unmapped.exchange(true, ordering: .acquiringAndReleasing) else { return }
        writeBufferedAppends()
        appendBuffer?.deallocate()
        appendBuffer = nil
        munmap(base, fileSize)
        close(descriptor)
    }

    /// True once `unmap` ran: the bytes may no longer be touched.
    public var isUnmapped: Bool { unmapped.load(ordering: .acquiring) }

    /// Unmaps and deletes the file.
    public func destroy() {
        unmap()
        unlink(path)
    }

    /// The whole mapped file. Valid while this object is alive and not unmapped.
    public var bytes: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: base, count: fileSize) }
    public var readableBytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: fileSize) }

    /// Bytes appended so far (`wrotePosition`).
    public var wrotePosition: Int {
        get { wrote.load(ordering: .acquiring) }
        set { wrote.store(newValue, ordering: .releasing) }
    }

    /// Bytes forced to the device (`flushedPosition`).
    public var flushedPosition: Int {
        get { flushed.load(ordering: .acquiring) }
        set { flushed.store(newValue, ordering: .releasing) }
    }

    /// Store time of the last record appended (`MappedFile.storeTimestamp`).
    public var storeTimestamp: Int64 {
        get { lastStoreTimestamp.load(ordering: .relaxed) }
        set { lastStoreTimestamp.store(newValue, ordering: .relaxed) }
    }

    public var isFull: Bool { wrotePosition == fileSize }
    public var remaining: Int { fileSize - wrotePosition }

    /// Appends `data` at the write position (`MappedFile.appendMessage(byte[])`); false when it
    /// does not fit.
    @discardableResult
    public func append(_ data: UnsafeRawBufferPointer) -> Bool {
        let position = wrotePosition
        guard position + data.count <= fileSize else { return false }
        if data.count > 0 {
            if let buffer = appendBuffer {
                if position + data.count - bufferedFrom > buffer.count { writeBufferedAppends() }
                if data.count <= buffer.count {
                    (buffer.baseAddress! + (position - bufferedFrom)).copyMemory(from: data.baseAddress!, byteCount: data.count)
                } else {
                    (base + position).copyMemory(from: data.baseAddress!, byteCount: data.count)
                    bufferedFrom = position + data.count
                }
            } else {
                (base + position).copyMemory(from: data.baseAddress!, byteCount: data.count)
            }
        }
        wrotePosition = position + data.count
        if appendBuffer != nil && position + data.count == fileSize {
            // Full: nothing more comes, so the buffer goes now rather than at the flush.
            writeBufferedAppends()
            appendBuffer?.deallocate()
            appendBuffer = nil
        }
        return true
    }

    /// From now on appends collect in a buffer of `capacity` bytes, written to the file with
    /// pwrite when it fills, when the file is full, and at `flush` and `unmap`; not into the map.
    /// For an offline builder that writes each file once, front to back, and reads nothing back
    /// before flushing (rebuild): it writes the page cache without a page fault, a page-table
    /// entry or the zero-fill of each new page. The map does not show buffered bytes.
    public func bufferAppends(capacity: Int) {
        guard appendBuffer == nil, capacity > 0 else { return }
        appendBuffer = UnsafeMutableRawBufferPointer.allocate(byteCount: capacity, alignment: 64)
        bufferedFrom = wrotePosition
        writebackFrom = wrotePosition
    }

    /// Writes the buffered appends (also from `unmap`, before the map goes).
    private func writeBufferedAppends() {
        guard let buffer = appendBuffer else { return }
        let end = wrotePosition
        writeThrough(UnsafeRawBufferPointer(start: buffer.baseAddress, count: end - bufferedFrom), at: bufferedFrom)
        bufferedFrom = end
        writebackFrom = startEarlyWriteback(from: writebackFrom, to: end)
    }

    /// An offline builder's written bytes go to the device in steps of this many, during the
    /// build (`startEarlyWriteback`).
    public static let earlyWritebackStep = 1 << 20

    /// Starts the writeback of `[start, end)` once it holds `earlyWritebackStep` bytes, and
    /// returns where the next range starts. For a builder writing a file front to back with
    /// pwrite: the CPU part of the writeback (block allocation, request submission) then runs
    /// during the build, on the writing thread, rather than all at its final flush.
    public func startEarlyWriteback(from start: Int, to end: Int) -> Int {
        guard end - start >= Self.earlyWritebackStep else { return start }
        _ = rmq_start_writeback(descriptor, Int64(start), Int64(end - start))
        return end
    }

    /// Writes `bytes` at `position` with pwrite, not through the map (a builder's buffered
    /// bytes); nothing once the file is unmapped.
    public func write(_ bytes: UnsafeRawBufferPointer, at position: Int) {
        guard !isUnmapped else { return }
        writeThrough(bytes, at: position)
    }

    /// Should pwrite fail, the bytes are copied into the map instead, where a plain append
    /// would have put them (failing the same way at the flush).
    private func writeThrough(_ bytes: UnsafeRawBufferPointer, at position: Int) {
        guard let source = bytes.baseAddress, position >= 0, position + bytes.count <= fileSize else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, source + done, bytes.count - done, off_t(position + done))
            if n > 0 {
                done += n
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                (base + position + done).copyMemory(from: source + done, byteCount: bytes.count - done)
                return
            }
        }
    }

    /// Sets all positions (load, truncation).
    public func setPositions(_ position: Int) {
        wrotePosition = position
        flushedPosition = position
    }

    /// Number of dirty pages between the flushed and the wrote position.
    public func dirtyPages() -> Int { wrotePosition / Self.pageSize - flushedPosition / Self.pageSize }

    /// `MappedFile.isAbleToFlush` + `flush`: forces the bytes between the flushed and the
    /// wrote position when at least `leastPages` pages are dirty (0 = whatever is dirty, or
    /// when the file is full). Returns the flushed position.
    @discardableResult
    public func flush(leastPages: Int = 0) -> Int {
        let target = wrotePosition
        let done = flushedPosition
        guard target > done else { return done }
        let able = isFull || (leastPages > 0 ? dirtyPages() >= leastPages : true)
        guard able else { return done }
        writeBufferedAppends()
        let start = done - done % Self.pageSize
        _ = msync(base + start, target - start, MS_SYNC)
        // Only move forward: a concurrent flush may already have forced further.
        var current = flushed.load(ordering: .acquiring)
        while current < target {
            let (exchanged, original) = flushed.compareExchange(
                expected: current, desired: target, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
        return flushedPosition
    }

    /// Starts writing the file's dirty pages (buffered appends first) without waiting: a later
    /// flush of many files then waits for writes already under way together, rather than
    /// writing them one file at a time.
    public func startWriteback() {
        writeBufferedAppends()
        _ = rmq_start_writeback(descriptor, 0, 0)
    }

    /// Forces the whole file regardless of positions (index files, whose writes are random).
    public func forceAll() {
        writeBufferedAppends()
        _ = msync(base, fileSize, MS_SYNC)
    }

    /// Last-modified time of the file in ms (for expired-file deletion).
    public var lastModifiedTime: Int64 {
        var st = stat()
        guard fstat(descriptor, &st) == 0 else { return 0 }
        return Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
    }

    static func syncDirectory(of path: String) {
        var directory = path
        if let slash = directory.lastIndex(of: "/") { directory = String(directory[..<slash]) } else { directory = "." }
        let fd = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            close(fd)
        }
    }
}
