// A directory tree's digest (ContentDigest.tree) computed ahead of the change that needs it,
// with a stamp of the tree (each entry's name, kind, size, inode and nanosecond mtime) taken
// before hashing. A repair hashes the old tree while it does its main work on other threads;
// when it is time to journal the change, the stamp is taken again, and the early digest is
// used only if nothing in the tree changed since (otherwise the tree is hashed again).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public struct TreeDigest: Sendable {
    public let path: String
    /// nil: the path did not exist.
    public let digest: String?
    private let stamp: [UInt8]

    /// Hashes the tree at `path` now.
    public init(of path: String) throws(StoreError) {
        self.path = path
        stamp = try Self.stamp(path)
        digest = try Self.hash(path)
    }

    /// The digest `compute` gives for the tree at `path`, reading it as it is now (a copy that
    /// hashes what it reads): the stamp is taken first, so a change made meanwhile is seen.
    public init(of path: String, computing compute: () throws(StoreError) -> String?) throws(StoreError) {
        self.path = path
        stamp = try Self.stamp(path)
        digest = try compute()
    }

    /// The digest, if the tree is still as it was when hashed; otherwise a fresh one.
    public func current() throws(StoreError) -> String? {
        try Self.stamp(path) == stamp ? digest : try Self.hash(path)
    }

    private static func hash(_ path: String) throws(StoreError) -> String? {
        FileSystem.exists(path) ? try ContentDigest.tree(path) : nil
    }

    private static func stamp(_ root: String) throws(StoreError) -> [UInt8] {
        var out: [UInt8] = []
        func add(_ path: String, _ relative: String) throws(StoreError) {
            var st = stat()
            guard lstat(path, &st) == 0 else {
                let code = errno
                if code == ENOENT || code == ENOTDIR { out += Array("- \(relative)\n".utf8); return }
                throw StoreError(.io, path: path, "cannot stat: \(FileSystem.errorText(code))", errno: code)
            }
            out += Array("\(relative) \(st.st_mode) \(st.st_ino) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ctim.tv_sec).\(st.st_ctim.tv_nsec)\n".utf8)
            if st.st_mode & S_IFMT == S_IFDIR {
                for entry in try FileSystem.list(path) { try add(path + "/" + entry.name, relative + "/" + entry.name) }
            }
        }
        try add(root, ".")
        return out
    }
}
