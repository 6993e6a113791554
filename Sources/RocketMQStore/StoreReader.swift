// Read-only access to a store's messages: the reads of the engine (`MessageStore+Reads`:
// getMessage, lookMessageByOffset, queryMessage, getOffsetInQueueByTime, min/max offsets)
// answered straight from the files.
//
// Nothing is locked, created or changed: files are mapped read-only (O_RDONLY, PROT_READ), so
// a store a live broker holds can be read, and so can a damaged one. Where the engine would
// run recovery first, the reader works out the same consume queue bounds from the bytes
// (`ReadOnlyConsumeQueue`); it does not cut the commitlog or rebuild missing units, so on a
// damaged store it shows what is on disk and says which records are unreadable and why.
// Files are mapped on first use and only a few maps are kept, so memory stays flat.
//
// Not thread-safe: one reader per thread.

import RocketMQFormat

public final class StoreReader {
    public let layout: StoreLayout
    /// Check body CRCs of the records read (the engine's reads do not; a reader of a possibly
    /// damaged store wants to know).
    public let checkCRC: Bool
    /// `maxMsgsNumBatch`: the cap on key query results.
    public var maxMsgsNumBatch = 64

    private let cache: MappedRegionCache
    private var queues: [TopicQueueKey: ReadOnlyConsumeQueue] = [:]
    private let recordOptions: RecordCheckOptions

    public init(layout: StoreLayout, checkCRC: Bool = true) {
        self.layout = layout
        self.checkCRC = checkCRC
        self.cache = MappedRegionCache(capacity: 8)
        self.recordOptions = RecordCheckOptions(checkCRC: checkCRC, acceptVersion2: true, delayLevels: layout.options.delayLevels)
    }

    /// Discovers the store at `root` (sizes inferred unless `options` give them).
    public convenience init(_ root: String, options: StoreOptions = StoreOptions(), checkCRC: Bool = true) throws(StoreError) {
        self.init(layout: try StoreLayout.discover(root, options: options), checkCRC: checkCRC)
    }

    // MARK: Records

    /// Calls `body` with what is at `physicalOffset`: the record, or why none is readable there.
    public func withRecord<R>(at physicalOffset: Int64, _ body: (RecordLookup) throws -> R) rethrows -> R {
        func unreadable(_ file: SegmentFile?, _ code: String, _ reason: String) throws -> R {
            try body(.unreadable(UnreadableRecord(
                physicalOffset: physicalOffset, file: file?.relativePath,
                filePosition: file.map { physicalOffset - $0.fromOffset }, code: code, reason: reason)))
        }
        guard let file = Self.segment(containing: physicalOffset, in: layout.commitLogFiles, fileSize: layout.commitLogFileSize) else {
            let files = layout.commitLogFiles
            let span = files.first.map { first in
                " (the files cover [\(first.fromOffset), \(files[files.count - 1].fromOffset + max(files[files.count - 1].size, 0))))"
            } ?? " (commitlog/ is empty)"
            return try unreadable(nil, "record.no-file", "no commitlog file holds this offset" + span)
        }
        let region: MappedRegion
        do { region = try cache.region(file.path) } catch {
            return try unreadable(file, "record.io", error.description)
        }
        let position = Int(physicalOffset - file.fromOffset)
        guard position < region.count else {
            return try unreadable(file, "record.past-file-end", "the file has only \(region.count) bytes")
        }
        return try withExtendedLifetime(region) {
            switch RecordDecoder.decode(region.bytes, at: position, options: recordOptions) {
            case .message(let view) where view.check.success:
                return try body(.record(view, file: file))
            case .message(let view):
                let failure = view.check.failure
                return try unreadable(file, failure?.code ?? "record.bad", failure?.description ?? "the record fails the store's check")
            case .blank:
                return try unreadable(file, "record.blank", "an end-of-file blank marker, not a record")
            case .end(let end):
                return try unreadable(file, "record.end-of-data", "no record starts here: " + end.description)
            }
        }
    }

    /// Like the engine's `withMessage(at:)` (`lookMessageByOffset`): the record with its file
    /// name and start offset, nil when no readable record starts there.
    public func withMessage<R>(at physicalOffset: Int64, _ body: ((record: MessageRecordView, file: String, fileFromOffset: Int64)?) throws -> R) rethrows -> R {
        try withRecord(at: physicalOffset) { found in
            guard case .record(let view, let file) = found else { return try body(nil) }
            return try body((view, file.name, file.fromOffset))
        }
    }

    // MARK: Queues

    /// `getMessage` with the engine's statuses and offsets. Units whose record cannot be read
    /// count as MESSAGE_WAS_REMOVING, as in the broker; `unreadable` is told about each.
    public func getMessage(
        topic: String, queueId: Int32, offset: Int64, maxCount: Int, tags: Set<String>? = nil,
        unreadable: ((UnreadableRecord) -> Void)? = nil
    ) -> GetMessageResult {
        guard let queue = consumeQueue(topic: topic, queueId: queueId) else {
            return GetMessageResult(status: .noMatchedLogicQueue, messages: [], nextBeginOffset: 0, minOffset: 0, maxOffset: 0)
        }
        return QueueReadAlgorithm.getMessage(
            offset: offset, maxCount: maxCount, tags: tags, minOffset: queue.minOffset, maxOffset: queue.maxOffset,
            unit: { queue.unit(at: $0, cache: cache) },
            confirm: { queueOffset, unit, filter in
                withRecord(at: unit.physicalOffset) { found -> Bool? in
                    switch found {
                    case .record(let view, _):
                        return QueueReadAlgorithm.passes(view, filter: filter)
                    case .unreadable(var problem):
                        problem.queueOffset = queueOffset
                        unreadable?(problem)
                        return nil
                    }
                }
            })
    }

    public func minOffsetInQueue(topic: String, queueId: Int32) -> Int64 {
        consumeQueue(topic: topic, queueId: queueId)?.minOffset ?? 0
    }

    public func maxOffsetInQueue(topic: String, queueId: Int32) -> Int64 {
        consumeQueue(topic: topic, queueId: queueId)?.maxOffset ?? 0
    }

    /// `getOffsetInQueueByTime`, as the engine answers it.
    public func offsetInQueue(byTime timestamp: Int64, topic: String, queueId: Int32) -> Int64 {
        guard let queue = consumeQueue(topic: topic, queueId: queueId) else { return 0 }
        return QueueReadAlgorithm.offset(byTime: timestamp, minOffset: queue.minOffset, maxOffset: queue.maxOffset) { offset in
            guard let unit = queue.unit(at: offset, cache: cache), unit.isValid, !unit.isPreBlank else { return nil }
            return withMessage(at: unit.physicalOffset) { $0?.record.storeTimestamp }
        }
    }

    /// The queue's recovered bounds, worked out once per reader. nil for a queue the store does
    /// not have, or whose files cannot be read.
    private func consumeQueue(topic: String, queueId: Int32) -> ReadOnlyConsumeQueue? {
        let key = TopicQueueKey(topic: topic, queueId: queueId)
        if let queue = queues[key] { return queue }
        guard let location = layout.consumeQueues.first(where: { $0.topic == topic && $0.queueId == queueId }),
              let queue = try? ReadOnlyConsumeQueue(
                location, fileSize: layout.consumeQueueFileSize,
                commitLogMinOffset: layout.commitLogFiles.first?.fromOffset ?? -1, cache: cache) else { return nil }
        queues[key] = queue
        return queue
    }

    // MARK: Index

    /// `queryMessage(topic, key, maxNum, begin, end)`: the index's physical offsets for
    /// `topic#key`, newest file first (§8.6), at most min(maxNum, maxMsgsNumBatch). Hash
    /// collisions are possible: callers check the records (`MessageRecordView.hasKey`).
    /// Throws when the index geometry cannot be told or an index file cannot be read.
    public func queryMessageOffsets(topic: String, key: String, maxNum: Int = 64, begin: Int64 = 0, end: Int64 = .max) throws(StoreError) -> [Int64] {
        let configured = layout.options.maxHashSlotNum.flatMap { slots in
            layout.options.maxIndexNum.flatMap { IndexFileLayout(hashSlotNum: slots, indexNum: $0) }
        }
        guard let indexLayout = try layout.indexFileLayout(configured: configured) else { return [] }
        // Mapped for this query only (index files are large): the maps live until it returns.
        var regions: [MappedRegion] = []
        var views: [IndexFileView] = []
        for file in layout.indexFiles {
            let region = try MappedRegion(path: file.path, sequential: false)
            do {
                views.append(try IndexFileView(bytes: region.bytes, layout: indexLayout))
            } catch {
                throw StoreError(.badData, path: file.relativePath, "not a readable index file: \(error)")
            }
            regions.append(region)
        }
        return withExtendedLifetime(regions) {
            IndexFileView.queryOffsets(in: views, keyHash: IndexKey(topic: topic, key: key).hash, begin: begin, end: end,
                                       maxNum: maxNum, maxMsgsNumBatch: maxMsgsNumBatch)
        }
    }

    // MARK: Files

    /// The file of a segmented queue holding logical `offset` (files sorted by start offset).
    static func segment(containing offset: Int64, in files: [SegmentFile], fileSize: Int64) -> SegmentFile? {
        var low = 0, high = files.count
        while low < high {
            let middle = (low + high) / 2
            if files[middle].fromOffset <= offset { low = middle + 1 } else { high = middle }
        }
        guard low > 0 else { return nil }
        let file = files[low - 1]
        return offset < file.fromOffset + max(fileSize, 1) ? file : nil
    }
}
