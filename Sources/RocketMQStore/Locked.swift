// A value behind a pthread mutex, with the `withLock` of Synchronization's `Mutex`.
//
// Why not `Mutex`: on Linux its lock is a futex inside the (uninstrumented) Synchronization
// library, so ThreadSanitizer does not see it order anything and reports every contended write
// it guards as a data race; a pthread mutex is intercepted and understood. Both cost the same
// here: no hot path takes a lock per record.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class Locked<Value>: @unchecked Sendable {
    // `value` is read and written only between lock and unlock.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    public init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deallocate()
    }

    @inline(__always)
    public func withLock<R, E: Error>(_ body: (inout Value) throws(E) -> R) throws(E) -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
