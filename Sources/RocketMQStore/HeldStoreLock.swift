// The store's `lock` file held the way a broker holds it (FORMAT.md §10): an exclusive,
// non-blocking POSIX record lock (fcntl F_SETLK) on byte 0, then ASCII "lock" written at offset
// 0 and forced. Every writer (the engine, the repair and replay tools) takes it before touching
// a store, so a broker cannot start under them and they cannot start under a broker.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class HeldStoreLock: @unchecked Sendable {
    public let root: String
    private var descriptor: Int32

    /// Takes the lock of the store at `root`, creating the `lock` file when it is missing.
    /// Throws `.locked` (exit 75) naming the holder's pid when another process has it.
    public init(storeAt root: String) throws(StoreError) {
        self.root = root
        let fd = open(root + "/lock", O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            let code = errno
            throw StoreError(.io, path: "lock", "cannot open for writing: \(String(cString: strerror(code)))",
                             errno: code)
        }
        var request = flock()
        request.l_type = Int16(F_WRLCK)
        request.l_whence = Int16(SEEK_SET)
        request.l_start = 0
        request.l_len = 1
        let result = withUnsafeMutablePointer(to: &request) { pointer in
            fcntl(fd, F_SETLK, UnsafeMutableRawPointer(pointer))
        }
        guard result == 0 else {
            let code = errno
            Glibc.close(fd)
            if code == EACCES || code == EAGAIN {
                let holder = StoreLock.holder(ofStoreAt: root).map { " by pid \($0)" } ?? ""
                throw StoreError(.locked, path: "lock",
                                 "store in use: the lock is held\(holder) (a running broker or another rmqstore)")
            }
            throw StoreError(.io, path: "lock", "fcntl(F_SETLK) failed: \(String(cString: strerror(code)))",
                             errno: code)
        }
        // The broker writes "lock" at offset 0 and forces it; do the same so the file looks alike.
        let text: [UInt8] = Array("lock".utf8)
        _ = text.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        _ = fsync(fd)
        descriptor = fd
    }

    /// Releases the lock (closing the descriptor drops the POSIX record lock). Idempotent.
    public func release() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
