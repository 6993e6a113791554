// Reads the chunks after a `SequentialReader`'s current one on a helper thread that runs only
// on an otherwise idle core (SCHED_IDLE), so that the reader finds them read.
//
// In a rebuild the walking thread is the slower of the two busy ones, and the index thread's
// core idles part of the time; pread is a third of the walker's work. A helper at normal
// priority took the index thread's core from it and the walk got slower. At idle priority it
// uses only what the index thread leaves, and a chunk the helper has not read yet is read by
// the walker itself, as without a helper: the helper can only take work away.
//
// Chunk `k` is the file's bytes [k × chunkSize, (k + 1) × chunkSize) and goes to slot k % n.
// The reader publishes the chunk it holds (`consumerChunk`); the helper reads only chunks
// after it and fewer than n ahead, so never the slot the reader holds. A slot's chunk number
// is published (release) after its bytes and length are written; -1 while it is rewritten.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

final class ChunkReadAhead: @unchecked Sendable {
    let chunkSize: Int
    let slotCount: Int
    private let fd: Int32
    private let chunkCount: Int
    private let memory: UnsafeMutableRawPointer
    /// Per slot: the chunk it holds, ready (-1: none), and that chunk's length (or -errno).
    private let ready: UnsafeMutablePointer<Atomic<Int>>
    private let lengths: UnsafeMutablePointer<Int>
    private let consumerChunk = Atomic<Int>(-1)
    private let stopped = Atomic<Bool>(false)
    /// Posted when the reader takes a chunk (the helper may go on) and at `stop`.
    private let advanced = UnsafeMutablePointer<sem_t>.allocate(capacity: 1)
    private var thread: pthread_t?

    /// For `fd` (which stays open until `stop` returns), `fileSize` bytes long.
    init(fd: Int32, fileSize: Int, chunkSize: Int, slots: Int) {
        self.fd = fd
        self.chunkSize = chunkSize
        slotCount = max(2, slots)
        chunkCount = (fileSize + chunkSize - 1) / chunkSize
        memory = UnsafeMutableRawPointer.allocate(byteCount: chunkSize * slotCount, alignment: 4096)
        ready = UnsafeMutablePointer<Atomic<Int>>.allocate(capacity: slotCount)
        for i in 0..<slotCount { (ready + i).initialize(to: Atomic(-1)) }
        lengths = UnsafeMutablePointer<Int>.allocate(capacity: slotCount)
        lengths.initialize(repeating: 0, count: slotCount)
        sem_init(advanced, 0, 0)
    }

    deinit {
        memory.deallocate()
        ready.deinitialize(count: slotCount)
        ready.deallocate()
        lengths.deallocate()
        sem_destroy(advanced)
        advanced.deallocate()
    }

    /// The reader takes chunk `k`: its bytes and length when the helper has them ready, nil
    /// when the reader must read it itself. Either way the helper goes on from `k + 1`.
    func take(_ k: Int) -> (bytes: UnsafeMutableRawPointer, length: Int)? {
        consumerChunk.store(k, ordering: .releasing)
        if thread == nil { start() }
        sem_post(advanced)
        let slot = k % slotCount
        guard ready[slot].load(ordering: .acquiring) == k else { return nil }
        return (memory + slot * chunkSize, lengths[slot])
    }

    /// Stops the helper and waits for it.
    func stop() {
        guard let thread else { return }
        stopped.store(true, ordering: .releasing)
        sem_post(advanced)
        pthread_join(thread, nil)
        self.thread = nil
    }

    private func start() {
        thread = ParallelWork.start { [self] in
            ParallelWork.lowerPriorityOfThisThread()
            run()
        }
    }

    private func run() {
        var next = 0
        while !stopped.load(ordering: .acquiring) {
            let held = consumerChunk.load(ordering: .acquiring)
            next = max(next, held + 1)
            if next >= chunkCount { return }
            guard next < held + slotCount else {
                while sem_wait(advanced) != 0 {}  // as far ahead as the slots allow
                continue
            }
            let slot = next % slotCount
            ready[slot].store(-1, ordering: .releasing)
            lengths[slot] = read(into: memory + slot * chunkSize, chunk: next)
            ready[slot].store(next, ordering: .releasing)
            next += 1
        }
    }

    /// pread of chunk `k`: its length (short at the end of the file), or -errno.
    private func read(into buffer: UnsafeMutableRawPointer, chunk k: Int) -> Int {
        var done = 0
        while done < chunkSize {
            let n = pread(fd, buffer + done, chunkSize - done, off_t(k * chunkSize + done))
            if n > 0 {
                done += n
            } else if n == 0 {
                break
            } else if errno != EINTR {
                return -Int(errno)
            }
        }
        return done
    }
}
