// Private zeroed memory for a builder's large random-access tables (an index file's slots).
//
// Taken from the kernel as an anonymous map, aligned to 2 MiB and advised for huge pages: the
// table's first touches then cost a few huge-page faults instead of one fault per 4 KiB page.
// Written into the index file's own map, each page cost a read fault and a write fault (about
// 60 ms for a 20 MB slot table here), on the thread every record waits for.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

final class ZeroedMemory {
    let bytes: UnsafeMutableRawBufferPointer
    private let mapping: UnsafeMutableRawPointer
    private let mappedCount: Int
    private static let hugePage = 2 << 20

    /// Nil when the kernel refuses the map (the caller then writes in place).
    init?(count: Int) {
        guard count > 0 else { return nil }
        mappedCount = count + Self.hugePage
        guard let pointer = mmap(nil, mappedCount, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              pointer != MAP_FAILED else { return nil }
        mapping = pointer
        let address = UInt(bitPattern: pointer)
        let aligned = (address + UInt(Self.hugePage - 1)) & ~UInt(Self.hugePage - 1)
        let start = pointer + Int(aligned - address)
        #if os(Linux)
        _ = madvise(start, count, MADV_HUGEPAGE)  // advice: a kernel without it still works
        #endif
        bytes = UnsafeMutableRawBufferPointer(start: start, count: count)
    }

    deinit { munmap(mapping, mappedCount) }
}
