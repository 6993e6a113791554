// The write side shared by `replay delayed` and `replay transactions`: the store opened through
// the engine (broker lock, normal recovery, dispatch to consume queues and index), records
// appended as the broker's services append them, and config files replaced through the
// journaled StoreWriter (the old bytes saved in the salvage directory, `rmqstore undo` puts them back).
//
// A store that was not shut down cleanly (`abort` present) is refused: opening it would run the
// broker's abnormal recovery, which may cut the log without saving what it cuts. `rmqstore
// recover` is the careful way through; replay runs after it.

#if canImport(Glibc)
import Glibc
#endif
import RocketMQFormat
import RocketMQStore

public final class ReplaySession {
    public let root: String
    public let store: MessageStore
    public private(set) var written: [ReplayedRecord] = []
    /// Tests kill the process after this many appends (RMQSTORE_CRASH_AFTER_RECORDS=N) to prove
    /// that a replay cut midway never delivers or resolves anything twice.
    private let crashAfterRecords = getenv("RMQSTORE_CRASH_AFTER_RECORDS").flatMap { Int(String(cString: $0)) }

    public init(root: String, config: MessageStoreConfig) throws(StoreError) {
        try StoreLock.refuseIfHeld(storeAt: root)
        if FileSystem.exists(root + "/abort") {
            throw StoreError(.badData, path: "abort",
                             "the store was not shut down cleanly; run `rmqstore recover` on it before replaying")
        }
        self.root = root
        store = try MessageStore.open(root, config: config)
    }

    /// Appends a record built from the one at `source`, stored as-is: no delay rewrite (the
    /// schedule service and the end-transaction path put with the DELAY level gone from the map,
    /// even when the stored string still carries it).
    public func append(_ record: MessageRecord, kind: String, source: Int64) throws(StoreError) -> ReplayedRecord {
        let result = store.putMessage(record, delayLevel: 0)
        guard result.status == .putOK, let appended = result.records.first else {
            throw StoreError(.io, path: "commitlog", offset: source,
                             "\(kind) put refused: \(result.status.rawValue) \(result.reason ?? "")")
        }
        let replayed = ReplayedRecord(
            kind: kind, sourcePhysicalOffset: source, physicalOffset: appended.physicalOffset,
            queueOffset: appended.queueOffset, topic: appended.topicString, queueId: appended.queueId,
            offsetMessageId: appended.offsetMessageId)
        written.append(replayed)
        if let crashAfterRecords, written.count == crashAfterRecords { kill(getpid(), SIGKILL) }
        return replayed
    }

    /// Runs `body` on the record at `physicalOffset`; a missing or failing record is an error
    /// naming the offset (the scan saw it, so the log changed under us).
    public func withRecord<T>(at physicalOffset: Int64, _ body: (MessageRecordView) throws(StoreError) -> T) throws(StoreError) -> T {
        let result: Result<T, StoreError> = store.withMessage(at: physicalOffset) { found in
            guard let found, found.record.check.success else {
                return .failure(StoreError(.badData, path: "commitlog", offset: physicalOffset, "expected a valid record here"))
            }
            do throws(StoreError) { return .success(try body(found.record)) } catch { return .failure(error) }
        }
        return try result.get()
    }

    /// Dispatches and forces everything, then closes the store (removing `abort`, releasing the lock).
    public func finish() throws(StoreError) {
        store.waitForDispatch()
        store.flush()
        try store.close()
    }

    /// Replaces config files through the journaled writer (after `finish`: it takes the lock itself).
    public static func replaceConfig(
        root: String, changes: [StoreChange], salvageDirectory: String?, command: String
    ) throws(StoreError) -> RepairJournal? {
        guard !changes.isEmpty else { return nil }
        var writer = StoreWriter(
            root: root, salvageDirectory: salvageDirectory ?? StoreWriter.defaultSalvageDirectory(forStoreAt: root),
            command: command)
        return try writer.apply(changes)
    }
}
