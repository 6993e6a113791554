// A read-only memory map of a whole file.
//
// Readers walk records in place through the map: no copies, and the pages belong to the page
// cache, so memory stays flat whatever the store's size. A zero-length file maps to an empty
// buffer (mmap refuses length 0).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class MappedRegion: @unchecked Sendable {
    // Immutable after init; the mapping is read-only and unmapped in deinit.
    public let path: String
    public let count: Int
    private let base: UnsafeRawPointer?
    // Set once by `prefetch(upTo:)` on the owning thread, cancelled before the unmap.
    private var prefetcher: MappingPrefetch?

    /// Maps `path` read-only. `sequential` hints the kernel to read ahead (a full walk).
    public init(path: String, sequential: Bool = true) throws(StoreError) {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw StoreError(.io, path: path, "cannot open: \(FileSystem.errorText(code))", errno: code)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            let code = errno
            throw StoreError(.io, path: path, "cannot stat: \(FileSystem.errorText(code))", errno: code)
        }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let pointer = mmap(nil, count, PROT_READ, MAP_SHARED, fd, 0), pointer != MAP_FAILED else {
            let code = errno
            throw StoreError(.io, path: path, "cannot map \(count) bytes: \(FileSystem.errorText(code))", errno: code)
        }
        if sequential { _ = madvise(pointer, count, MADV_SEQUENTIAL) }
        base = UnsafeRawPointer(pointer)
    }

    deinit {
        prefetcher?.cancel()
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// `prefetch(upTo:)` over the file's data part: everything before its trailing hole
    /// (`SparseFile.dataEnd`). Returns where the data part ends, which a reader's zero-tail
    /// check needs too.
    @discardableResult
    public func prefetchDataPart() -> Int {
        let dataEnd = Int(clamping: SparseFile.dataEnd(ofFileAt: path))
        prefetch(upTo: dataEnd)
        return dataEnd
    }

    /// Maps the pages of `[0, end)` into the page table on a helper thread, ahead of a
    /// sequential reader (`MappingPrefetch`). `end` is where the data ends (`SparseFile.dataEnd`):
    /// pages of a trailing hole are left alone. Call once, before reading.
    public func prefetch(upTo end: Int) {
        let end = min(end, count)
        guard prefetcher == nil, let base, end >= 2 * MappingPrefetch.step else { return }
        prefetcher = MappingPrefetch(base: base, end: end)
    }

    /// The mapped bytes; valid while this object is alive.
    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Calls `body` with the bytes, keeping the mapping alive for the duration.
    public func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(self) { () throws(E) -> R in try body(bytes) }
    }
}
