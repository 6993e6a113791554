// The few system calls the store needs, bound once (swift-system has no mmap/fsync/fcntl locks).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum FileSystem {
    public enum EntryKind: Sendable { case file, directory, symlink, other }

    public struct Entry: Sendable {
        public var name: String
        public var kind: EntryKind
        public var size: Int64
        public var modificationTime: Int64  // ms since the epoch
    }

    public static func errorText(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// lstat; nil when the path does not exist.
    public static func status(_ path: String) throws(StoreError) -> Entry? {
        var st = stat()
        if lstat(path, &st) != 0 {
            let code = errno
            if code == ENOENT || code == ENOTDIR { return nil }
            throw StoreError(.io, path: path, "cannot stat: \(errorText(code))", errno: code)
        }
        var kind: EntryKind = .other
        switch st.st_mode & S_IFMT {
        case S_IFREG: kind = .file
        case S_IFDIR: kind = .directory
        case S_IFLNK:
            // Follow the link to learn what it points at; a loop or dangling link stays a symlink.
            var target = stat()
            if stat(path, &target) == 0 {
                if target.st_mode & S_IFMT == S_IFREG { kind = .file; st = target }
                else if target.st_mode & S_IFMT == S_IFDIR { kind = .directory; st = target }
                else { kind = .symlink }
            } else { kind = .symlink }
        default: kind = .other
        }
        let mtime = Int64(st.st_mtim.tv_sec) * 1000 + Int64(st.st_mtim.tv_nsec) / 1_000_000
        let name = path.split(separator: "/").last.map(String.init) ?? path
        return Entry(name: name, kind: kind, size: Int64(st.st_size), modificationTime: mtime)
    }

    public static func isDirectory(_ path: String) -> Bool {
        (try? status(path))?.kind == .directory
    }

    public static func exists(_ path: String) -> Bool { (try? status(path)) != nil }

    /// Directory entries (without . and ..), sorted by name, with their kinds and sizes.
    public static func list(_ path: String) throws(StoreError) -> [Entry] {
        guard let dir = opendir(path) else {
            let code = errno
            throw StoreError(.io, path: path, "cannot read directory: \(errorText(code))", errno: code)
        }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        names.sort()
        var result: [Entry] = []
        for name in names {
            if let entry = try status(path + "/" + name) { result.append(Entry(name: name, kind: entry.kind, size: entry.size, modificationTime: entry.modificationTime)) }
        }
        return result
    }

    /// Reads a whole (small) file.
    public static func readFile(_ path: String) throws(StoreError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw StoreError(.io, path: path, offset: Int64(result.count), "read failed: \(errorText(code))", errno: code)
            }
            if n == 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Reads `count` bytes at `offset` (fewer at the end of the file).
    public static func read(_ path: String, offset: Int64, count: Int) throws(StoreError) -> [UInt8] {
        let fd = try openForReading(path)
        defer { close(fd) }
        var buffer = [UInt8](repeating: 0, count: count)
        var failure: StoreError?
        let done = buffer.withUnsafeMutableBytes { raw -> Int in
            do throws(StoreError) { return try readFully(fd, path: path, into: raw, count: count, at: offset) } catch {
                failure = error
                return 0
            }
        }
        if let failure { throw failure }
        buffer.removeLast(count - done)
        return buffer
    }

    static func openForReading(_ path: String) throws(StoreError) -> Int32 {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            let code = errno
            throw StoreError(.io, path: path, "cannot open: \(errorText(code))", errno: code)
        }
        return fd
    }

    /// `pread` until `count` bytes or the end of the file; returns the bytes read.
    static func readFully(
        _ fd: Int32, path: String, into buffer: UnsafeMutableRawBufferPointer, count: Int, at offset: Int64
    ) throws(StoreError) -> Int {
        var done = 0
        while done < count {
            let n = pread(fd, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            if n < 0 {
                let code = errno
                if code == EINTR { continue }
                throw StoreError(.io, path: path, offset: offset + Int64(done), "read failed: \(errorText(code))", errno: code)
            }
            if n == 0 { break }
            done += n
        }
        return done
    }
}
