// The durable-write primitives every store change is built from: write aside, fsync, rename,
// fsync the directory. Bound once here (Glibc), like FileSystem for reads.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public enum DurableFile {
    static func fail(_ path: String, _ what: String, offset: Int64? = nil) -> StoreError {
        let code = errno
        return StoreError(.io, path: path, offset: offset, "\(what): \(FileSystem.errorText(code))", errno: code)
    }

    /// Opens `path` with `flags`; the caller closes.
    public static func open(_ path: String, _ flags: Int32, mode: mode_t = 0o644) throws(StoreError) -> Int32 {
        let fd = Glibc.open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw fail(path, "cannot open") }
        return fd
    }

    /// pwrite until every byte is written.
    public static func write(_ fd: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int64, path: String) throws(StoreError) {
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, bytes.baseAddress! + done, bytes.count - done, off_t(offset) + off_t(done))
            if n < 0 {
                if errno == EINTR { continue }
                throw fail(path, "write failed", offset: offset + Int64(done))
            }
            done += n
        }
    }

    public static func sync(_ fd: Int32, path: String) throws(StoreError) {
        guard fsync(fd) == 0 else { throw fail(path, "fsync failed") }
    }

    /// fsync a directory so a rename or unlink in it is durable.
    public static func syncDirectory(_ path: String) throws(StoreError) {
        let fd = try open(path, O_RDONLY | O_DIRECTORY)
        defer { close(fd) }
        try sync(fd, path: path)
    }

    public static func parent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    public static func rename(_ from: String, _ to: String) throws(StoreError) {
        guard Glibc.rename(from, to) == 0 else { throw fail(from, "cannot rename to \(to)") }
    }

    public static func remove(_ path: String) throws(StoreError) {
        guard unlink(path) == 0 || errno == ENOENT else { throw fail(path, "cannot remove") }
    }

    public static func removeDirectory(_ path: String) throws(StoreError) {
        guard rmdir(path) == 0 || errno == ENOENT else { throw fail(path, "cannot remove directory") }
    }

    /// mkdir -p.
    public static func makeDirectories(_ path: String) throws(StoreError) {
        if FileSystem.isDirectory(path) { return }
        let parentPath = parent(of: path)
        if parentPath != path && !FileSystem.isDirectory(parentPath) { try makeDirectories(parentPath) }
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else { throw fail(path, "cannot create directory") }
    }

    /// Writes `bytes` to a new file beside `path`, fsyncs it, renames it over `path` and fsyncs
    /// the directory: a crash leaves the old file or the new one.
    public static func replaceAtomically(_ path: String, with bytes: [UInt8]) throws(StoreError) {
        let aside = path + ".rmqstore-new"
        let fd = try open(aside, O_WRONLY | O_CREAT | O_TRUNC)
        do throws(StoreError) {
            // Zeros at the end are left a hole (the length set, not written): a consume queue
            // file is mostly its zero tail, and writing it cost new pages and their writeback.
            var failure: StoreError?
            bytes.withUnsafeBytes { raw in
                do throws(StoreError) { try write(fd, UnsafeRawBufferPointer(rebasing: raw[0..<raw.nonZeroEnd]), at: 0, path: aside) } catch { failure = error }
            }
            if let failure { throw failure }
            guard ftruncate(fd, off_t(bytes.count)) == 0 else { throw fail(aside, "cannot set length \(bytes.count)") }
            try sync(fd, path: aside)
        } catch {
            close(fd)
            throw error
        }
        close(fd)
        try rename(aside, path)
        try syncDirectory(parent(of: path))
    }

    /// A copy of `source`'s first `length` bytes, extended with zeros (a hole, as a freshly
    /// created RocketMQ file) to `size`, written at `destination` and fsynced.
    /// `sync` false: scratch copies that are read back, never renamed into a store.
    public static func writePrefixCopy(of source: String, length: Int64, size: Int64, to destination: String,
                                       sync syncing: Bool = true) throws(StoreError) {
        let input = try open(source, O_RDONLY)
        defer { close(input) }
        let output = try open(destination, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(output) }
        try copyRange(input, from: 0, to: output, at: 0, count: length, path: source)
        guard ftruncate(output, off_t(size)) == 0 else { throw fail(destination, "cannot set length \(size)") }
        if syncing { try sync(output, path: destination) }
    }

    /// Zeroes `range` of the file in place, sets its length to `size` and fsyncs it. The
    /// caller has saved `range` first (StoreWriter's resize; see the atomicity note there).
    public static func resizeInPlace(_ path: String, zeroing range: Range<Int64>, size: Int64) throws(StoreError) {
        let fd = try open(path, O_RDWR)
        defer { close(fd) }
        if !range.isEmpty {
            let zeros = [UInt8](repeating: 0, count: 1 << 16)
            var position = range.lowerBound
            while position < range.upperBound {
                let n = Int(min(Int64(zeros.count), range.upperBound - position))
                var failure: StoreError?
                zeros.withUnsafeBytes { raw in
                    do throws(StoreError) { try write(fd, UnsafeRawBufferPointer(rebasing: raw[0..<n]), at: position, path: path) }
                    catch { failure = error }
                }
                if let failure { throw failure }
                position += Int64(n)
            }
        }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw fail(path, "cannot stat") }
        if Int64(st.st_size) != size {
            guard ftruncate(fd, off_t(size)) == 0 else { throw fail(path, "cannot set length \(size)") }
        }
        try sync(fd, path: path)
    }

    /// Copies `count` bytes from a read-only map of the input (no intermediate buffer).
    public static func copyRange(
        _ input: Int32, from inputOffset: Int64, to output: Int32, at outputOffset: Int64, count: Int64, path: String
    ) throws(StoreError) {
        guard count > 0 else { return }
        let pageMask = Int64(sysconf(Int32(_SC_PAGESIZE))) - 1
        let alignedStart = inputOffset & ~pageMask
        let lead = Int(inputOffset - alignedStart)
        let length = Int(count) + lead
        guard let base = mmap(nil, length, PROT_READ, MAP_SHARED, input, off_t(alignedStart)), base != MAP_FAILED else {
            throw fail(path, "cannot map \(count) bytes at \(inputOffset)")
        }
        defer { munmap(base, length) }
        _ = madvise(base, length, MADV_SEQUENTIAL)
        try write(output, UnsafeRawBufferPointer(start: base + lead, count: Int(count)), at: outputOffset, path: path)
    }

    /// Copies a file's data extents (holes stay holes, as in a preallocated store file) to a
    /// new file of the same length at `destination`, fsynced unless `sync` is false (the
    /// caller forces it later, e.g. with msync after changing it).
    public static func copySparse(_ source: String, to destination: String, sync syncing: Bool = true) throws(StoreError) {
        guard let entry = try FileSystem.status(source) else { throw StoreError(.io, path: source, "no such file") }
        let input = try open(source, O_RDONLY)
        defer { close(input) }
        let output = try open(destination, O_WRONLY | O_CREAT | O_TRUNC)
        defer { close(output) }
        guard ftruncate(output, off_t(entry.size)) == 0 else { throw fail(destination, "cannot set length \(entry.size)") }
        for extent in ContentDigest.dataExtents(input, from: 0, to: entry.size) {
            try copyRange(input, from: extent.lowerBound, to: output, at: extent.lowerBound, count: Int64(extent.count), path: source)
        }
        if syncing { try sync(output, path: destination) }
    }

    /// Copies a whole file to `destination` (its holes kept) and fsyncs it.
    public static func copyFile(_ source: String, to destination: String) throws(StoreError) {
        try copySparse(source, to: destination)
    }

    /// Moves a file: rename when on the same file system, else copy + fsync + unlink.
    public static func move(_ source: String, to destination: String) throws(StoreError) {
        if Glibc.rename(source, destination) == 0 { return }
        guard errno == EXDEV else { throw fail(source, "cannot move to \(destination)") }
        try copyFile(source, to: destination)
        try remove(source)
    }

    /// SHA-256 of a whole file, hex (streamed through a map).
    public static func sha256(_ path: String) throws(StoreError) -> String {
        let region = try MappedRegion(path: path)
        return region.withBytes { SHA256.hexDigest($0) }
    }
}

extension DurableFile {
    /// Atomically exchanges two paths (renameat2 RENAME_EXCHANGE): both exist before and after.
    public static func exchange(_ a: String, _ b: String) throws(StoreError) {
        // RENAME_EXCHANGE = 2; glibc >= 2.28 exposes renameat2.
        typealias RenameAt2 = @convention(c) (Int32, UnsafePointer<CChar>, Int32, UnsafePointer<CChar>, UInt32) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "renameat2") else {
            throw StoreError(.io, path: a, "renameat2 is not available: cannot exchange directories atomically")
        }
        let renameat2 = unsafeBitCast(symbol, to: RenameAt2.self)
        guard renameat2(AT_FDCWD, a, AT_FDCWD, b, 2) == 0 else { throw fail(a, "cannot exchange with \(b)") }
    }

    /// A digest of a directory tree: SHA-256 over each file's relative path and SHA-256, in
    /// name order (so two trees with the same files and bytes have the same digest).
    public static func treeDigest(_ path: String) throws(StoreError) -> String {
        try ContentDigest.tree(path) { (file) throws(StoreError) in try sha256(file) }
    }
}
