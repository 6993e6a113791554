// Probes the store's `lock` file the way a second broker would find it taken (FORMAT.md §10),
// without ever taking it: fcntl(F_GETLK) on byte 0 asks "who would block a write lock?".
// Read-only: the file is opened O_RDONLY and no lock is set.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum StoreLock {
    /// The pid of the process holding a POSIX record lock on byte 0 of `<root>/lock`, or nil
    /// when the file is missing, unreadable or not locked. A lock held by this very process is
    /// not reported (POSIX record locks are per process).
    public static func holder(ofStoreAt root: String) -> Int32? {
        let fd = open(root + "/lock", O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var probe = flock()
        probe.l_type = Int16(F_WRLCK)
        probe.l_whence = Int16(SEEK_SET)
        probe.l_start = 0
        probe.l_len = 1
        let result = withUnsafeMutablePointer(to: &probe) { pointer in
            fcntl(fd, F_GETLK, UnsafeMutableRawPointer(pointer))
        }
        guard result == 0, probe.l_type != Int16(F_UNLCK) else { return nil }
        return probe.l_pid
    }

    /// True when a live process holds the store's lock (a broker is running).
    public static func isHeld(storeAt root: String) -> Bool { holder(ofStoreAt: root) != nil }

    /// Throws `.locked` (exit 75) when a live process holds the store's lock: what every command
    /// that changes a store checks before it plans or stages anything.
    public static func refuseIfHeld(storeAt root: String) throws(StoreError) {
        if let holder = holder(ofStoreAt: root) {
            throw StoreError(.locked, path: "lock",
                             "store in use: the lock is held by pid \(holder) (a running broker?); stop it first")
        }
    }
}
