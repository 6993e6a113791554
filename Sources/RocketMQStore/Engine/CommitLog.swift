// The commitlog: the append path of 4.9.8's `CommitLog.asyncPutMessage(s)` and
// `DefaultAppendMessageCallback.doAppend` (FORMAT.md §2.4, §2.6, §12.1, §13.1, §14.1).
//
// Records are encoded straight into the mapped file under the put lock (no intermediate
// buffer, no allocation per message): QUEUEOFFSET from the topic-queue table (0 for PREPARED
// and ROLLBACK, which do not advance it), PHYSICALOFFSET = file start + write position,
// STORETIMESTAMP taken under the lock. A record (or whole batch) that does not leave 8 bytes
// free in the file is preceded by the 8-byte blank marker and goes to the next file.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat

public final class CommitLog: @unchecked Sendable {
    public static let endFileMinBlankLength = 8

    public let queue: MappedFileQueue
    public let config: MessageStoreConfig
    public let delayLevels: DelayLevelTable
    /// Serializes appends (`putMessageLock`). Guards `topicQueueTable`.
    let putLock = ConditionLock()
    /// Next queue offset per topic-queue. Guarded by `putLock`.
    private var topicQueueTable: [TopicQueueKey: Int64] = [:]
    /// The clock for STORETIMESTAMP (tests may pin it).
    public var clock: @Sendable () -> Int64 = { IndexWriter.currentTimeMillis() }

    public init(storeRoot: String, config: MessageStoreConfig) {
        self.config = config
        self.delayLevels = config.delayLevels
        queue = MappedFileQueue(directory: storeRoot + "/commitlog", mappedFileSize: config.mappedFileSizeCommitLog,
                                preallocatesNextFile: true)
    }

    public var minOffset: Int64 { queue.minOffset }
    public var maxOffset: Int64 { queue.maxOffset }

    /// Replaces the topic-queue table (`recoverTopicQueueTable`).
    public func setTopicQueueTable(_ table: [TopicQueueKey: Int64]) {
        putLock.withLock { topicQueueTable = table }
    }

    public func nextQueueOffset(topic: String, queueId: Int32) -> Int64 {
        putLock.withLock { topicQueueTable[TopicQueueKey(topic: topic, queueId: queueId)] ?? 0 }
    }

    // MARK: Put

    /// Appends one message. The caller's record supplies topic, queueId, flag, sysFlag, born
    /// and store hosts, born timestamp, reconsume times, prepared offset, body and properties;
    /// the commitlog computes BODYCRC, the IPv6 sysflag bits, the delay rewrite, QUEUEOFFSET,
    /// PHYSICALOFFSET and STORETIMESTAMP.
    ///
    /// `delayLevel` nil takes the level from the DELAY property, as the broker reads it from
    /// the message's map; pass 0 for a message whose map has no DELAY although its stored
    /// string does (what the schedule service re-puts at delivery, §12.2).
    public func putMessage(_ message: MessageRecord, delayLevel: Int32? = nil) -> PutMessageResult {
        var record = message
        if let refusal = prepare(&record, delayLevel: delayLevel) { return refusal }
        let length = record.encodedLength
        if let refusal = checkLength(length, total: length) { return refusal }
        let transaction = record.flags.transactionType

        putLock.lock()
        defer { putLock.unlock() }
        let storeTimestamp = clock()
        record.storeTimestamp = storeTimestamp
        let file: MappedFile
        switch fileWithRoom(for: length, storeTimestamp: storeTimestamp) {
        case .success(let found): file = found
        case .failure(let refusal): return refusal.result
        }
        let key = TopicQueueKey(topic: record.topic, queueId: record.queueId)
        let current = topicQueueTable[key] ?? 0
        let advances = transaction == .notType || transaction == .commit
        record.queueOffset = advances ? current : 0
        let position = file.wrotePosition
        record.physicalOffset = file.fileFromOffset + Int64(position)
        record.encodeUnchecked(into: UnsafeMutableRawBufferPointer(rebasing: file.bytes[position..<(position + length)]))
        file.storeTimestamp = storeTimestamp
        file.wrotePosition = position + length
        if advances { topicQueueTable[key] = current + 1 }
        return PutMessageResult(status: .putOK, appended: AppendMessageResult(
            physicalOffset: record.physicalOffset, size: Int32(length), queueOffset: record.queueOffset,
            storeTimestamp: storeTimestamp, topic: record.topic, queueId: record.queueId, storeHost: record.storeHost))
    }

    /// Appends a batch (§14.1): consecutive queue offsets, one store timestamp, never across a
    /// file boundary. Transactional batches and batches with a delay are refused.
    public func putMessages(_ batch: MessageBatch) -> PutMessageResult {
        guard batch.items.count > 0 else { return .refused(.messageIllegal, "empty batch") }
        guard MessageSysFlag(rawValue: batch.sysFlag).transactionType == .notType else {
            return .refused(.messageIllegal, "a batch cannot carry a transaction type (sysFlag \(batch.sysFlag))")
        }
        var records = batch.records()
        var total = 0
        for index in records.indices {
            if let delay = delayLevel(of: records[index]), delay > 0 {
                return .refused(.messageIllegal, "a batch cannot carry a delay level (message \(index) has DELAY=\(delay))")
            }
            // The delay rewrite does not apply to batches; prepare() only sets CRC and host bits.
            if let refusal = prepare(&records[index], delayLevel: 0) { return refusal }
            total += records[index].encodedLength
        }
        if let refusal = checkLength(records.map(\.encodedLength).max() ?? 0, total: total) { return refusal }

        putLock.lock()
        defer { putLock.unlock() }
        let storeTimestamp = clock()
        let file: MappedFile
        switch fileWithRoom(for: total, storeTimestamp: storeTimestamp) {
        case .success(let found): file = found
        case .failure(let refusal): return refusal.result
        }
        let key = TopicQueueKey(topic: batch.topic, queueId: batch.queueId)
        var queueOffset = topicQueueTable[key] ?? 0
        var position = file.wrotePosition
        var results: [AppendMessageResult] = []
        results.reserveCapacity(records.count)
        for var record in records {
            let length = record.encodedLength
            record.storeTimestamp = storeTimestamp
            record.queueOffset = queueOffset
            record.physicalOffset = file.fileFromOffset + Int64(position)
            record.encodeUnchecked(into: UnsafeMutableRawBufferPointer(rebasing: file.bytes[position..<(position + length)]))
            results.append(AppendMessageResult(
                physicalOffset: record.physicalOffset, size: Int32(length), queueOffset: queueOffset,
                storeTimestamp: storeTimestamp, topic: record.topic, queueId: record.queueId, storeHost: record.storeHost))
            position += length
            queueOffset += 1
        }
        file.storeTimestamp = storeTimestamp
        file.wrotePosition = position
        topicQueueTable[key] = queueOffset
        return PutMessageResult(status: .putOK, batch: results)
    }

    /// The DELAY level of a record (0 when absent; nil when not a number, as Java would throw).
    func delayLevel(of record: MessageRecord) -> Int32? {
        guard !record.properties.isEmpty else { return 0 }
        return record.properties.withUnsafeBytes { raw -> Int32? in
            guard let value = MessageProperties.value(of: "DELAY", in: raw) else { return 0 }
            return JavaString.parseInt(String(decoding: value, as: UTF8.self))
        }
    }

    /// Body CRC, IPv6 bits, the delay rewrite (§12.1) and the static limits, outside the lock.
    private func prepare(_ record: inout MessageRecord, delayLevel explicitLevel: Int32?) -> PutMessageResult? {
        record.version = .v1
        record.bodyCRC = CRC32.rocketMQ(record.body)
        var flags = record.flags
        if record.bornHost.isIPv6 { flags.insert(.bornHostV6) } else { flags.remove(.bornHostV6) }
        if record.storeHost.isIPv6 { flags.insert(.storeHostV6) } else { flags.remove(.storeHostV6) }
        record.sysFlag = flags.rawValue
        guard record.bornHost.address.count == 4 || record.bornHost.address.count == 16,
              record.storeHost.address.count == 4 || record.storeHost.address.count == 16 else {
            return .refused(.messageIllegal, "born and store hosts must be IPv4 or IPv6 addresses")
        }
        let transaction = flags.transactionType
        if explicitLevel != 0 && (transaction == .notType || transaction == .commit) {
            guard let level = explicitLevel ?? delayLevel(of: record) else {
                return .refused(.messageIllegal, "DELAY property is not a number")
            }
            if level > 0 { rewriteForDelay(&record, level: level, setProperty: explicitLevel != nil) }
        }
        guard !record.topic.isEmpty, record.topic.count <= Int(Int8.max) else {
            return .refused(.messageIllegal, "topic must be 1 to 127 bytes, found \(record.topic.count)")
        }
        guard record.properties.count <= Int(Int16.max) else {
            return .refused(.propertiesSizeExceeded, "properties are \(record.properties.count) bytes, at most 32767")
        }
        return nil
    }

    /// §12.1: clamp the level, add REAL_TOPIC/REAL_QID, re-serialize the map in Java HashMap
    /// order, move to SCHEDULE_TOPIC_XXXX queue level − 1.
    private func rewriteForDelay(_ record: inout MessageRecord, level: Int32, setProperty: Bool) {
        var map = JavaPropertyMap(parsing: record.properties)
        var effective = level
        if setProperty { map["DELAY"] = String(level) }
        if level > delayLevels.maxLevel {
            effective = delayLevels.maxLevel
            map["DELAY"] = String(effective)
        }
        map["REAL_TOPIC"] = record.topicString
        map["REAL_QID"] = String(record.queueId)
        record.properties = map.serialized()
        record.topic = Array(DelayLevelTable.scheduleTopic.utf8)
        record.queueId = effective - 1
    }

    private func checkLength(_ largest: Int, total: Int) -> PutMessageResult? {
        if largest > config.maxMessageSize || total > config.maxMessageSize {
            return .refused(.messageIllegal,
                            "message size exceeded: \(total) bytes encoded, maxMessageSize \(config.maxMessageSize)")
        }
        if total + Self.endFileMinBlankLength > config.mappedFileSizeCommitLog {
            return .refused(.messageIllegal,
                            "\(total) bytes cannot fit a \(config.mappedFileSizeCommitLog)-byte commitlog file (8 bytes stay free for the end-of-file marker)")
        }
        return nil
    }

    /// The file to append `length` bytes to: the last one, or — when fewer than length + 8
    /// bytes remain — the next one after writing the blank marker (§2.4). Caller holds putLock.
    private func fileWithRoom(for length: Int, storeTimestamp: Int64) -> Result<MappedFile, PutMessageResultError> {
        do {
            guard var file = try queue.lastMappedFile(startOffset: 0) else {
                return .failure(PutMessageResultError(.createMappedFileFailed, "no commitlog file"))
            }
            if length + Self.endFileMinBlankLength > file.remaining {
                let position = file.wrotePosition
                let remaining = file.remaining
                file.bytes.storeBytes(of: Int32(remaining).bigEndian, toByteOffset: position, as: Int32.self)
                file.bytes.storeBytes(of: MessageVersion.blankMagic.bigEndian, toByteOffset: position + 4, as: Int32.self)
                file.storeTimestamp = storeTimestamp
                file.wrotePosition = file.fileSize
                guard let next = try queue.lastMappedFile(startOffset: 0) else {
                    return .failure(PutMessageResultError(.createMappedFileFailed, "no next commitlog file"))
                }
                file = next
            }
            return .success(file)
        } catch {
            return .failure(PutMessageResultError(.createMappedFileFailed, "\(error)"))
        }
    }

    // MARK: Reads

    /// Calls `body` with the record at `physicalOffset` (decoded with the dispatch rules), or
    /// nil when no complete record starts there.
    public func withRecord<R>(at physicalOffset: Int64, _ body: (MessageRecordView?) throws -> R) rethrows -> R {
        guard let file = queue.findMappedFile(offset: physicalOffset) else { return try body(nil) }
        let position = Int(physicalOffset - file.fileFromOffset)
        let readable = UnsafeRawBufferPointer(rebasing: file.readableBytes[0..<file.wrotePosition])
        return try withExtendedLifetime(file) {
            guard case .message(let view) = RecordDecoder.decode(readable, at: position, options: RecordCheckOptions(checkCRC: false, acceptVersion2: false, delayLevels: delayLevels)),
                  view.check.success else { return try body(nil) }
            return try body(view)
        }
    }

    /// Store time of the last appended record (`getStoreTimestamp` of the last file).
    public var lastStoreTimestamp: Int64 { queue.lastMappedFile?.storeTimestamp ?? 0 }

    public func shutdown() { queue.shutdown() }
}
