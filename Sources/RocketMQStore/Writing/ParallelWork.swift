// Runs one piece of work on a second thread while the caller does another (two tree digests,
// or the index beside the consume queues). A plain pthread: no Foundation, no executor.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public enum ParallelWork {
    private final class Job: @unchecked Sendable {
        // Written by the worker before it exits, read by the caller after pthread_join.
        let work: () -> Void
        init(_ work: @escaping () -> Void) { self.work = work }
    }

    /// Runs `background` on a new thread and `foreground` on this one; returns when both are
    /// done. Falls back to running them one after the other when no thread can be created.
    public static func run(_ background: @escaping () -> Void, whileDoing foreground: () -> Void) {
        guard let thread = start(background) else {
            background()
            foreground()
            return
        }
        foreground()
        pthread_join(thread, nil)
    }

    /// Runs `work` on a new thread, to be joined by the caller; nil when no thread can be
    /// created (the work is then not run).
    public static func start(_ work: @escaping () -> Void) -> pthread_t? {
        let job = Job(work)
        let opaque = Unmanaged.passRetained(job).toOpaque()
        var thread = pthread_t()
        let created = pthread_create(&thread, nil, { raw in
            let job = Unmanaged<Job>.fromOpaque(raw!).takeRetainedValue()
            job.work()
            return nil
        }, opaque)
        guard created == 0 else {
            Unmanaged<Job>.fromOpaque(opaque).release()
            return nil
        }
        return thread
    }
}

extension ParallelWork {
    /// Puts the calling thread in SCHED_IDLE: it runs only on a core the other threads leave
    /// idle (work that must not slow the critical path down). No effect where unsupported.
    public static func lowerPriorityOfThisThread() {
        #if os(Linux)
        var parameter = sched_param()
        parameter.sched_priority = 0
        _ = pthread_setschedparam(pthread_self(), 5 /* SCHED_IDLE */, &parameter)
        #endif
    }
}

extension StoreWriter {
    /// `foreground()`'s result, with `background` run meanwhile on a second thread.
    static func concurrently<T>(_ foreground: () throws(StoreError) -> T, _ background: @escaping () -> Void) throws(StoreError) -> T {
        var result: Result<T, StoreError>!
        ParallelWork.run(background) { result = Result { () throws(StoreError) -> T in try foreground() } }
        return try result.get()
    }
}
