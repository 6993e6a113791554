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
// The writer thread holds only the ring, never the `WriteBehind`: a method call on the owner
// from the thread would keep it alive for the thread's whole life, and its `deinit` (which
// finishes the writes) would never run.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CMemoryHints

final class WriteBehind: @unchecked Sendable {
    let chunkSize: Int
    private let ring: Ring
    /// The caller's next slot, and whether it holds that slot's buffer (caller only).
    private var produced = 0
    private var holding = false
    private var thread: pthread_t?

    init(chunkSize: Int = 1 << 20, slots: Int = 4) {
        self.chunkSize = chunkSize
        ring = Ring(chunkSize: chunkSize, slots: max(2, slots))
        let ring = self.ring
        thread = ParallelWork.start { ring.writeAll() }
    }

    deinit { _ = try? finish() }

    /// A buffer of `chunkSize` bytes to fill (waits until the writer has one free).
    func buffer() -> UnsafeMutableRawBufferPointer {
        if !holding {
            while sem_wait(ring.free) != 0 {}
            holding = true
        }
        return UnsafeMutableRawBufferPointer(start: ring.memory + (produced % ring.slots) * chunkSize, count: chunkSize)
    }

    /// Queues the first `count` bytes of the buffer from `buffer()` for writing at `offset` of
    /// `fd` (open until `finish` returns), after `prepare` has run on them on the writer's
    /// thread (what it changes is written).
    func submit(count: Int, to fd: Int32, at offset: Int64, path: String, prepare: ((UnsafeMutableRawBufferPointer) -> Void)? = nil) {
        _ = buffer()
        let slot = produced % ring.slots
        ring.jobs[slot] = Job(count: count, fd: fd, offset: offset, path: path, prepare: prepare)
        produced += 1
        holding = false
        guard thread != nil else {  // no thread could be started: written here and now
            ring.write(ring.jobs[slot], slot: slot)
            sem_post(ring.free)
            return
        }
        sem_post(ring.filled)
    }

    /// Waits until everything submitted is written; the first failure, if any.
    func finish() throws(StoreError) {
        if let thread {
            _ = buffer()
            ring.jobs[produced % ring.slots] = Job()
            produced += 1
            holding = false
            sem_post(ring.filled)
            pthread_join(thread, nil)
            self.thread = nil
        }
        if let failure = ring.failure { throw failure }
    }

    fileprivate struct Job {
        var count = 0
        var fd: Int32 = -1  // -1: stop
        var offset: Int64 = 0
        var path = ""
        var prepare: ((UnsafeMutableRawBufferPointer) -> Void)?
    }

    /// What the two threads share: the buffers, their jobs, the semaphores, the writer's
    /// position and first failure (read by the caller after the join).
    private final class Ring: @unchecked Sendable {
        let chunkSize: Int
        let slots: Int
        let memory: UnsafeMutableRawPointer
        let jobs: UnsafeMutablePointer<Job>
        let free = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        let filled = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
        var consumed = 0
        var failure: StoreError?

        init(chunkSize: Int, slots: Int) {
            self.chunkSize = chunkSize
            self.slots = slots
            memory = UnsafeMutableRawPointer.allocate(byteCount: chunkSize * slots, alignment: 4096)
            jobs = UnsafeMutablePointer<Job>.allocate(capacity: slots)
            jobs.initialize(repeating: Job(), count: slots)
            sem_init(free, 0, UInt32(slots))
            sem_init(filled, 0, 0)
        }

        deinit {
            memory.deallocate()
            jobs.deinitialize(count: slots)
            jobs.deallocate()
            sem_destroy(free)
            sem_destroy(filled)
            free.deallocate()
            filled.deallocate()
        }

        /// The writer thread: every job in turn until the stop job.
        func writeAll() {
            while true {
                while sem_wait(filled) != 0 {}
                let slot = consumed % slots
                let job = jobs[slot]
                jobs[slot].prepare = nil
                guard job.fd >= 0 else { return }
                write(job, slot: slot)
                consumed += 1
                sem_post(free)
            }
        }

        func write(_ job: Job, slot: Int) {
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
}
