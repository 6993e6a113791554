// Reads (4.9.8 `DefaultMessageStore.getMessage`, `queryMessage`, `lookMessageByOffset`,
// `getOffsetInQueueByTime`, min/max offsets) and expired-file deletion (FORMAT.md §16).

import RocketMQFormat

extension MessageStore {
    /// Units of (topic, queueId) from `offset`, at most `maxCount` matching ones. `tags`
    /// filters like a consumer's tag subscription: by the unit's tagsCode (the Java hash of a
    /// tag), confirmed against the record's TAGS (hashes can collide). nil or "*" = all.
    public func getMessage(topic: String, queueId: Int32, offset: Int64, maxCount: Int, tags: Set<String>? = nil) -> GetMessageResult {
        guard let queue = dispatcher.consumeQueue(topic: topic, queueId: queueId, create: false) else {
            return GetMessageResult(status: .noMatchedLogicQueue, messages: [], nextBeginOffset: 0, minOffset: 0, maxOffset: 0)
        }
        return QueueReadAlgorithm.getMessage(
            offset: offset, maxCount: maxCount, tags: tags,
            minOffset: queue.minOffsetInQueue, maxOffset: queue.maxOffsetInQueue,
            unit: { queue.unit(at: $0) },
            confirm: { _, unit, filter in
                commitLog.withRecord(at: unit.physicalOffset) { view in
                    view.map { QueueReadAlgorithm.passes($0, filter: filter) }
                }
            })
    }

    /// Calls `body` with the record at `physicalOffset` (`lookMessageByOffset`), the name of
    /// its file and that file's start offset; nil when no valid record starts there.
    public func withMessage<R>(at physicalOffset: Int64, _ body: ((record: MessageRecordView, file: String, fileFromOffset: Int64)?) throws -> R) rethrows -> R {
        guard let file = commitLog.queue.findMappedFile(offset: physicalOffset) else { return try body(nil) }
        return try commitLog.withRecord(at: physicalOffset) { view in
            try body(view.map { ($0, file.fileName, file.fileFromOffset) })
        }
    }

    /// The physical offset an offset message id names (`MessageId.physicalOffset(ofOffsetMessageId:)`).
    public static func physicalOffset(ofMessageId id: String) -> Int64? {
        MessageId.physicalOffset(ofOffsetMessageId: id)
    }

    /// `queryMessage(topic, key, maxNum, begin, end)`: the index's physical offsets for
    /// `topic#key` (newest first; at most min(maxNum, maxMsgsNumBatch)). As in RocketMQ, hash
    /// collisions are possible: callers compare the records' keys (`recordHasKey`).
    public func queryMessageOffsets(topic: String, key: String, maxNum: Int = 64, begin: Int64 = 0, end: Int64 = .max) -> [Int64] {
        dispatcher.index?.queryOffsets(topic: topic, key: key, maxNum: maxNum, begin: begin, end: end,
                                       maxMsgsNumBatch: config.maxMsgsNumBatch) ?? []
    }

    /// True when the record's UNIQ_KEY or one of its KEYS is `key` (`MessageRecordView.hasKey`).
    public static func recordHasKey(_ record: MessageRecordView, _ key: String) -> Bool { record.hasKey(key) }

    public func minOffsetInQueue(topic: String, queueId: Int32) -> Int64 {
        dispatcher.consumeQueue(topic: topic, queueId: queueId, create: false)?.minOffsetInQueue ?? 0
    }

    public func maxOffsetInQueue(topic: String, queueId: Int32) -> Int64 {
        dispatcher.consumeQueue(topic: topic, queueId: queueId, create: false)?.maxOffsetInQueue ?? 0
    }

    /// `getOffsetInQueueByTime`: the first queue offset whose record was stored at or after
    /// `timestamp` (binary search over the queue by STORETIMESTAMP); the max offset when all
    /// are older, 0 for an unknown queue.
    public func offsetInQueue(byTime timestamp: Int64, topic: String, queueId: Int32) -> Int64 {
        guard let queue = dispatcher.consumeQueue(topic: topic, queueId: queueId, create: false) else { return 0 }
        return QueueReadAlgorithm.offset(byTime: timestamp, minOffset: queue.minOffsetInQueue, maxOffset: queue.maxOffsetInQueue) { offset in
            guard let unit = queue.unit(at: offset), unit.isValid, !unit.isPreBlank else { return nil }
            return commitLog.withRecord(at: unit.physicalOffset) { $0?.storeTimestamp }
        }
    }

    /// Expired-file deletion (§16): commitlog files (never the last) whose last modification
    /// + `fileReservedTime` hours ≤ `now`, oldest first, at most 10; then consume queue and
    /// index files wholly below the new commitlog min offset. Returns the commitlog files removed.
    @discardableResult
    public func deleteExpiredFiles(now: Int64 = IndexWriter.currentTimeMillis(), reservedHours: Int? = nil) -> [String] {
        let hours = Int64(reservedHours ?? config.fileReservedTime)
        let removed = commitLog.queue.deleteExpiredFiles(reservedMillis: hours * 3_600_000, now: now)
        guard !removed.isEmpty else { return [] }
        let minOffset = commitLog.minOffset
        for queue in dispatcher.consumeQueues { queue.deleteExpiredFiles(commitLogMinOffset: minOffset) }
        dispatcher.index?.deleteExpiredFiles(commitLogMinOffset: minOffset)
        return removed
    }
}
