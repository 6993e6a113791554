// The dispatch ("reput") service (4.9.8 `ReputMessageService`, FORMAT.md §11.8): follows the
// commitlog from `reputFromOffset` and hands every record to the dispatcher, on a background
// thread that polls every millisecond like the broker's.

import RocketMQFormat
import Synchronization

public final class ReputService: @unchecked Sendable {
    let commitLog: CommitLog
    let dispatcher: StoreDispatcher
    private let offset = Atomic<Int64>(0)
    private let running = Atomic<Bool>(false)
    private let work = ConditionLock()
    private var thread: BackgroundThread?
    /// First dispatch error (an I/O failure writing a consume queue or index file).
    private let failure = Locked<StoreError?>(nil)

    init(commitLog: CommitLog, dispatcher: StoreDispatcher) {
        self.commitLog = commitLog
        self.dispatcher = dispatcher
    }

    public var reputFromOffset: Int64 {
        get { offset.load(ordering: .acquiring) }
        set { offset.store(newValue, ordering: .releasing) }
    }

    /// Bytes appended but not dispatched yet (`dispatchBehindBytes`).
    public var behindBytes: Int64 { max(0, commitLog.maxOffset - reputFromOffset) }
    public var lastError: StoreError? { failure.withLock { $0 } }

    /// Dispatches everything readable now; returns whether anything moved. Single-threaded:
    /// called by the service thread, or by the store before the thread starts.
    @discardableResult
    func dispatchAvailable() -> Bool {
        let options = RecordCheckOptions(checkCRC: false, acceptVersion2: false, delayLevels: dispatcher.delayLevels)
        var moved = false
        var from = reputFromOffset
        if from < commitLog.minOffset { from = commitLog.minOffset }
        while from < commitLog.maxOffset {
            guard let file = commitLog.queue.findMappedFile(offset: from) else { break }
            let end = file.wrotePosition
            var position = Int(from - file.fileFromOffset)
            let readable = UnsafeRawBufferPointer(rebasing: file.readableBytes[0..<end])
            var nextFile = false
            scanning: while position < end {
                switch RecordDecoder.decode(readable, at: position, options: options) {
                case .message(let view) where view.check.success:
                    do {
                        try dispatcher.dispatch(view)
                    } catch {
                        failure.withLock { if $0 == nil { $0 = error } }
                        break scanning
                    }
                    position += Int(view.totalSize)
                case .message(let view) where view.check.msgSize > 0:
                    position += Int(view.check.msgSize)  // RocketMQ skips it ("[BUG]")
                case .blank:
                    nextFile = true
                    break scanning
                default:
                    break scanning
                }
            }
            let reached = nextFile ? file.fileFromOffset + Int64(file.fileSize) : file.fileFromOffset + Int64(position)
            if reached != from { moved = true }
            from = reached
            reputFromOffset = from
            if !nextFile && position < end { break }  // undecodable bytes: wait (or stop for good)
            if !nextFile { break }
        }
        return moved
    }

    func start() {
        running.store(true, ordering: .releasing)
        thread = BackgroundThread(name: "ReputService") { [self] in
            while running.load(ordering: .acquiring) {
                if !dispatchAvailable() {
                    work.withLock { _ = work.wait(milliseconds: 1) }
                }
            }
            dispatchAvailable()
        }
    }

    /// Waits until everything appended so far is dispatched (or `timeoutMillis` passes).
    public func waitUntilCaughtUp(timeoutMillis: Int = 10_000) -> Bool {
        let target = commitLog.maxOffset
        let deadline = ConditionLock.monotonicMillis() + Int64(timeoutMillis)
        while reputFromOffset < target {
            if thread == nil { dispatchAvailable(); if reputFromOffset < target { return false } }
            if ConditionLock.monotonicMillis() > deadline { return false }
            work.withLock { _ = work.wait(milliseconds: 1) }
        }
        return true
    }

    func shutdown() {
        running.store(false, ordering: .releasing)
        thread?.join()
        thread = nil
    }
}
