// SHA-256 digests of what a repair changes, computed without reading what need not be read.
//
// Store files are mostly preallocated: a 1 GiB commitlog file or a 400 MiB index file holds
// data at the front and zeros (usually a hole) after it. The digest of bytes [from, size) of
// a file is therefore written `hex:end:size`, the SHA-256 of [from, end) where `end` is one
// past the last non-zero byte, the rest being zeros up to `size`; a whole file without a zero
// tail keeps the plain hex of its SHA-256 (journal version 1's form). The string is a function
// of the bytes alone, so comparing two digests still compares contents, but holes are never
// read (SEEK_DATA/SEEK_HOLE; holes inside the data are fed to SHA-256 as zeros from memory),
// so hashing a mostly empty file costs its data, not its length.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public enum ContentDigest {
    // Linux values (glibc declares them only with _GNU_SOURCE).
    private static let seekData: Int32 = 3
    private static let seekHole: Int32 = 4

    /// The data extents inside [from, to) of an open file, in order; the whole range when the
    /// file system cannot tell (then every byte is read, which is merely slower).
    static func dataExtents(_ fd: Int32, from: Int64, to: Int64) -> [Range<Int64>] {
        guard from < to else { return [] }
        var extents: [Range<Int64>] = []
        var position = from
        while position < to {
            let data = lseek(fd, off_t(position), seekData)
            if data < 0 {
                if errno == ENXIO { break }  // only a hole up to the end of the file
                return [from..<to]
            }
            if Int64(data) >= to { break }
            var hole = Int64(lseek(fd, data, seekHole))
            if hole < 0 || hole > to { hole = to }
            extents.append(Int64(data)..<hole)
            position = hole
        }
        return extents
    }

    /// Maps [range) of `fd` read-only and calls `body` with it.
    static func withMapped<R>(_ fd: Int32, _ range: Range<Int64>, path: String,
                              _ body: (UnsafeRawBufferPointer) -> R) throws(StoreError) -> R {
        let pageMask = Int64(sysconf(Int32(_SC_PAGESIZE))) - 1
        let start = range.lowerBound & ~pageMask
        let lead = Int(range.lowerBound - start)
        let length = Int(range.upperBound - start)
        guard length > lead else { return body(UnsafeRawBufferPointer(start: nil, count: 0)) }
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, fd, off_t(start)), base != MAP_FAILED else {
            let code = errno
            throw StoreError(.io, path: path, offset: range.lowerBound, "cannot map: \(FileSystem.errorText(code))", errno: code)
        }
        defer { munmap(base, length) }
        _ = madvise(base, length, MADV_SEQUENTIAL)
        return body(UnsafeRawBufferPointer(start: base + lead, count: length - lead))
    }

    /// One past the last non-zero byte in [from, to) (`from` when they are all zero).
    static func dataEnd(_ fd: Int32, from: Int64, to: Int64, path: String) throws(StoreError) -> Int64 {
        for extent in dataExtents(fd, from: from, to: to).reversed() {
            let last = try withMapped(fd, extent, path: path) { $0.nonZeroEnd }
            if last > 0 { return extent.lowerBound + Int64(last) }
        }
        return from
    }

    /// SHA-256 of [from, to), holes fed as zeros without reading them.
    static func hash(_ fd: Int32, from: Int64, to: Int64, path: String, into hasher: inout SHA256.Hasher) throws(StoreError) {
        var position = from
        for extent in dataExtents(fd, from: from, to: to) {
            hasher.updateWithZeros(extent.lowerBound - position)
            try read(fd, extent, path: path) { hasher.update($0) }
            position = extent.upperBound
        }
        hasher.updateWithZeros(to - position)
    }

    /// Reads `range` of `fd` front to back, 1 MiB at a time, handing each piece to `body`.
    /// Read, not mapped: a pass over just-written files (a rebuild's new trees) costs a copy
    /// from the page cache this way, against a fault per 64 KiB and an unmap per page.
    static func read(_ fd: Int32, _ range: Range<Int64>, path: String,
                     _ body: (UnsafeRawBufferPointer) -> Void) throws(StoreError) {
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 4096)
        defer { buffer.deallocate() }
        var position = range.lowerBound
        while position < range.upperBound {
            let want = Int(min(Int64(chunk), range.upperBound - position))
            let got = try FileSystem.readFully(fd, path: path, into: buffer, count: want, at: position)
            guard got == want else {
                throw StoreError(.io, path: path, offset: position + Int64(got), "file ended while being hashed (expected \(want) more bytes)")
            }
            body(UnsafeRawBufferPointer(rebasing: buffer[0..<got]))
            position += Int64(got)
        }
    }

    /// The data extents of [from, to) of the file at `path` (holes left out): scanners skip
    /// the preallocated tail of a commitlog file without faulting its pages in.
    public static func dataExtents(path: String, from: Int64, to: Int64) -> [Range<Int64>] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [from..<to] }
        defer { close(fd) }
        return dataExtents(fd, from: from, to: to)
    }

    /// True when bytes [from, end of file) of `path` are all zero (holes are not read).
    public static func isZero(path: String, from: Int64) throws(StoreError) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw StoreError(.io, path: path, "cannot open") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError(.io, path: path, "cannot stat") }
        return try dataEnd(fd, from: from, to: Int64(st.st_size), path: path) <= from
    }

    /// The digest of bytes [from, size) of the file at `path`; nil when it does not exist.
    public static func of(_ path: String, from: Int64 = 0) throws(StoreError) -> String? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            let code = errno
            throw StoreError(.io, path: path, "cannot open: \(FileSystem.errorText(code))", errno: code)
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw StoreError(.io, path: path, "cannot stat") }
        let size = Int64(st.st_size)
        let start = min(from, size)
        let end = try dataEnd(fd, from: start, to: size, path: path)
        var hasher = SHA256.Hasher()
        try hash(fd, from: start, to: end, path: path, into: &hasher)
        return format(hasher.finalizeHex(), from: from, end: end, size: size)
    }

    /// The digest of `bytes` as a file (or range starting at `from`) would have it; for bytes
    /// in memory (a replacement's new contents), so nothing is read back after writing.
    public static func of(bytes: UnsafeRawBufferPointer, from: Int64 = 0) -> String {
        let end = bytes.nonZeroEnd
        var hasher = SHA256.Hasher()
        hasher.update(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
        return format(hasher.finalizeHex(), from: from, end: from + Int64(end), size: from + Int64(bytes.count))
    }

    public static func of(bytes: [UInt8], from: Int64 = 0) -> String { bytes.withUnsafeBytes { of(bytes: $0, from: from) } }

    static func format(_ hex: String, from: Int64, end: Int64, size: Int64) -> String {
        from == 0 && end == size ? hex : "\(hex):\(end):\(size)"
    }
}

extension SHA256.Hasher {
    private static let zeros = [UInt8](repeating: 0, count: 1 << 16)

    /// Feeds `count` zero bytes (a hole, or a zero run held back) without a buffer that long.
    mutating func updateWithZeros(_ count: Int64) {
        var left = count
        Self.zeros.withUnsafeBytes { z in
            while left > 0 {
                let n = Int(min(left, Int64(z.count)))
                update(UnsafeRawBufferPointer(rebasing: z[0..<n]))
                left -= Int64(n)
            }
        }
    }
}

extension ContentDigest {
    /// A directory tree's digest: SHA-256 over each entry's relative path (and, for files,
    /// `of(file)`), in name order: two trees with the same files and bytes have the same one.
    public static func tree(_ path: String) throws(StoreError) -> String {
        try tree(path) { (file) throws(StoreError) in try of(file) ?? "-" }
    }

    /// The tree digest with `fileDigest` for each file (journal version 1 recorded whole-file
    /// SHA-256s: `DurableFile.treeDigest`).
    public static func tree(_ path: String, fileDigest: (String) throws(StoreError) -> String) throws(StoreError) -> String {
        var lines: [UInt8] = []
        func walk(_ directory: String, _ prefix: String) throws(StoreError) {
            for entry in try FileSystem.list(directory) {
                let relative = prefix.isEmpty ? entry.name : prefix + "/" + entry.name
                if entry.kind == .directory {
                    lines += Array("d \(relative)\n".utf8)
                    try walk(directory + "/" + entry.name, relative)
                } else {
                    lines += Array("f \(relative) \(try fileDigest(directory + "/" + entry.name))\n".utf8)
                }
            }
        }
        try walk(path, "")
        return SHA256.hexDigest(lines)
    }

    /// The digest a journal of `version` records for `entry`'s path now (nil: absent).
    public static func current(_ entry: RepairJournal.Entry, root: String, version: Int) throws(StoreError) -> String? {
        let path = root + "/" + entry.path
        guard FileSystem.exists(path) else { return nil }
        if version < 2 {
            return entry.action == .exchangeDirectory ? try DurableFile.treeDigest(path) : try DurableFile.sha256(path)
        }
        switch entry.action {
        case .exchangeDirectory: return try tree(path)
        case .resize: return try of(path, from: entry.rangeStart)
        case .remove where FileSystem.isDirectory(path): return try tree(path)  // a stray directory set aside
        case .replace, .remove, .create: return try of(path)
        }
    }
}
