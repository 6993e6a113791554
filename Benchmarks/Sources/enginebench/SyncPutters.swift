// The sync-flush putting threads (outside main.swift, whose top-level code is main-actor isolated).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat
import RocketMQStore

enum SyncPutters {
    static func monotonicSeconds() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    final class Job: @unchecked Sendable {
        let index: Int
        let store: MessageStore
        let perThread: Int
        let record: MessageRecord
        var latencies: [Double] = []
        init(index: Int, store: MessageStore, perThread: Int, record: MessageRecord) {
            self.index = index
            self.store = store
            self.perThread = perThread
            self.record = record
        }
    }

    /// Runs `threads` putters of `perThread` messages each; returns every put's latency (s).
    static func run(store: MessageStore, threads: Int, perThread: Int, record: MessageRecord) -> [Double] {
        let jobs = (0..<threads).map { Job(index: $0, store: store, perThread: perThread, record: record) }
        var handles: [pthread_t] = []
        for job in jobs {
            var handle = pthread_t()
            pthread_create(&handle, nil, { raw in
                let job = Unmanaged<Job>.fromOpaque(raw!).takeUnretainedValue()
                var record = job.record
                record.queueId = Int32(job.index)
                job.latencies.reserveCapacity(job.perThread)
                for _ in 0..<job.perThread {
                    let start = SyncPutters.monotonicSeconds()
                    let result = job.store.putMessage(record)
                    job.latencies.append(SyncPutters.monotonicSeconds() - start)
                    precondition(result.status == .putOK, "sync put: \(result.status)")
                }
                return nil
            }, Unmanaged.passUnretained(job).toOpaque())
            handles.append(handle)
        }
        for handle in handles { pthread_join(handle, nil) }
        return jobs.flatMap(\.latencies)
    }
}
