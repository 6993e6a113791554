// Writes chunks on a second thread while the caller fills the next ones: the caller takes a
// free buffer, fills it, submits it with where it goes (and, optionally, work to do on it
// first); the writer does that work, pwrites it, starts its writeback (so a later fsync has
// less to wait for) and hands the buffer back.
//
// For a copy that reads and hashes each chunk, then patches, hashes and writes it
// (`PatchedTreeCopy`): each side takes about half of the work, on its own core.
//
// Buffers go round a ring of `slots`; `free` counts those the caller may fill, `filled` those
// the writer may write. The semaphores order each buffer's bytes and job between the threads.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMemoryHints

final class WriteBehind: @unchecked Sendable {
    private struct Job {
        var count = 0
        var fd: Int32 = -1  // -1: stop
        var offset: Int64 = 0
        var path = ""
        var prepare: ((UnsafeMutableRawBufferPointer) -> Void)?
    }

    let chunkSize: Int
    private let slots: Int
    private let memory: UnsafeMutableRawPointer
    private let jobs: UnsafeMutablePointer<Job>
    private let free = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private let filled = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    /// The caller's next slot (caller only) and the writer's (writer only).
    private var produced = 0
    private var consumed = 0
    /// The writer's first failure (read by the caller after the join).
    private var failure: StoreError?
    private var thread: pthread_t?
    private var holding = false

    init(chunkSize: Int = 1 << 20, slots: Int = 4) {
        self.chunkSize = chunkSize
        self.slots = max(2, slots)
        memory = UnsafeMutableRawPointer.allocate(byteCount: chunkSize * self.slots, alignment: 4096)
        jobs = UnsafeMutablePointer<Job>.allocate(capacity: self.slots)
        jobs.initialize(repeating: Job(), count: self.slots)
        sem_init(free, 0, UInt32(self.slots))
        sem_init(filled, 0, 0)
        thread = ParallelWork.start { [unowned self] in self.write() }
    }

    deinit {
        if thread != nil { _ = try? finish() }
        memory.deallocate()
        jobs.deinitialize(count: slots)
        jobs.deallocate()
        sem_destroy(free)
        sem_destroy(filled)
        free.deallocate()
        filled.deallocate()
    }

    /// A buffer of `chunkSize` bytes to fill (waits until the writer has one free).
    func buffer() -> UnsafeMutableRawBufferPointer {
        if !holding {
            while sem_wait(free) != 0 {}
            holding = true
        }
        return UnsafeMutableRawBufferPointer(start: memory + (produced % slots) * chunkSize, count: chunkSize)
    }

    /// Queues the first `count` bytes of the buffer from `buffer()` for writing at `offset` of
    /// `fd` (open until `finish` returns), after `prepare` has run on them on the writer's
    /// thread (what it changes is written).
    func submit(count: Int, to fd: Int32, at offset: Int64, path: String, prepare: ((UnsafeMutableRawBufferPointer) -> Void)? = nil) {
        _ = buffer()
        let slot = produced % slots
        jobs[slot] = Job(count: count, fd: fd, offset: offset, path: path, prepare: prepare)
        produced += 1
        holding = false
        guard thread != nil else {  // no thread could be started: written here and now
            write(jobs[slot], slot: slot)
            sem_post(free)
            return
        }
        sem_post(filled)
    }

    /// Waits until everything submitted is written; the first failure, if any.
    func finish() throws(StoreError) {
        if let thread {
            _ = buffer()
            jobs[produced % slots] = Job()
            produced += 1
            holding = false
            sem_post(filled)
            pthread_join(thread, nil)
            self.thread = nil
        }
        if let failure { throw failure }
    }

    private func write() {
        while true {
            while sem_wait(filled) != 0 {}
            let job = jobs[consumed % slots]
            jobs[consumed % slots].prepare = nil
            guard job.fd >= 0 else { return }
            write(job, slot: consumed % slots)
            consumed += 1
            sem_post(free)
        }
    }

    private func write(_ job: Job, slot: Int) {
        let bytes = UnsafeMutableRawBufferPointer(start: memory + slot * chunkSize, count: job.count)
        job.prepare?(bytes)
        guard failure == nil, job.count > 0 else { return }
        do throws(StoreError) {
            try DurableFile.write(job.fd, UnsafeRawBufferPointer(bytes), at: job.offset, path: job.path)
            _ = rmq_start_writeback(job.fd, job.offset, Int64(job.count))
        } catch {
            failure = error
        }
    }
}
