// Where the allocated data of a file ends (lseek SEEK_DATA / seekHole).
//
// RocketMQ creates every mapped file at full size with `setLength`, so the unwritten tail of the
// last commitlog (and consume queue) file is a hole. Reading a hole through a mapping makes the
// kernel allocate and zero a page-cache page for each page touched: on a 1 GiB file that is most
// of the cost of proving "nothing after the end". Holes read as zeros by definition, so a scan
// may stop at the start of the trailing hole.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum SparseFile {
    // Linux values; Glibc only exports the names under _GNU_SOURCE.
    private static let seekData: Int32 = 3
    private static let seekHole: Int32 = 4

    /// The end of the last allocated extent of the file at `path`, i.e. every byte from the
    /// returned offset to the end of the file reads as zero. Returns the file size (or more)
    /// when the file system cannot tell (no SEEK_DATA support) or on any error.
    public static func dataEnd(ofFileAt path: String) -> Int64 {
        #if !os(Linux)
        return .max  // SEEK_DATA/SEEK_HOLE have other values elsewhere; scan everything
        #endif
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .max }
        defer { close(fd) }
        let size = lseek(fd, 0, SEEK_END)
        guard size > 0 else { return max(0, Int64(size)) }
        var end: Int64 = 0
        var offset: off_t = 0
        while offset < size {
            let data = lseek(fd, offset, seekData)
            if data < 0 {
                // ENXIO: no data at or after `offset`; anything else: cannot tell.
                return errno == ENXIO ? end : Int64(size)
            }
            let hole = lseek(fd, data, seekHole)
            guard hole > data else { return Int64(size) }
            end = Int64(hole)
            offset = hole
        }
        return min(end, Int64(size))
    }
}
