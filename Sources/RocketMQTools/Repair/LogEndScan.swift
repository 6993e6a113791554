// Finds the last valid record of the whole commitlog, every check on (magic, size formula,
// body CRC, PHYSICALOFFSET = position), following the chain of files from the first one the
// way the broker's recovery would if it scanned everything; then looks past that end for any
// record that still passes every check (resynchronising), to tell a torn tail (nothing valid
// after the end) from damage in the middle of the log (valid records after it).
//
// One mapped file at a time; per record only the per-queue counters are updated.

import RocketMQFormat
import RocketMQStore

#if canImport(Glibc)
import Glibc
#endif

struct LogEndScan {
    struct QueueFacts {
        /// One past the largest QUEUEOFFSET of a record that gets a consume queue unit.
        var nextQueueOffset: Int64 = 0
        var lastPhysicalOffset: Int64 = -1
    }

    /// The end of valid data: the physical offset of the first byte not part of a valid record.
    var endOffset: Int64 = 0
    /// The file holding the end (store-relative) and why the chain stopped there.
    var endFile: SegmentFile?
    var endReason = "no commitlog file"
    var records = 0
    var lastStoreTimestamp: Int64 = 0
    var lastQueuedStoreTimestamp: Int64 = 0
    var lastKeyedOffset: Int64 = -1
    var queues: [String: QueueFacts] = [:]
    var queueNames: [String: (topic: String, queueId: Int32)] = [:]
    /// Valid records found after the end (damage in the middle of the log).
    var recordsAfterEnd = 0
    var firstValidAfterEnd: Int64?
    var bytesAfterEndNonZero: Int64 = 0

    /// `files` must be the commitlog files in offset order (stray names and zero-length files
    /// already set aside); `fileSize` the configured size.
    init(files: [SegmentFile], fileSize: Int64, options: RecordCheckOptions) throws(StoreError) {
        guard let first = files.first else { return }
        endOffset = first.fromOffset
        endFile = first
        var index = 0
        chain: while index < files.count {
            let file = files[index]
            let region = try MappedRegion(path: file.path)
            var position = 0
            var reachedBlank = false
            var stop = ""
            region.withBytes { bytes in
                while true {
                    switch RecordDecoder.decode(bytes, at: position, options: options) {
                    case .message(let record):
                        let expected = file.fromOffset + Int64(position)
                        guard record.check.success, record.totalSize > 0 else {
                            stop = record.check.failure.map { "\($0)" } ?? "record fails the check"
                            return
                        }
                        guard record.physicalOffset == expected else {
                            stop = "PHYSICALOFFSET \(record.physicalOffset) differs from the position \(expected)"
                            return
                        }
                        note(record, at: expected)
                        position += Int(record.totalSize)
                    case .blank:
                        reachedBlank = true
                        return
                    case .end(let end):
                        stop = end.description
                        return
                    }
                }
            }
            endOffset = file.fromOffset + Int64(position)
            endFile = file
            if reachedBlank {
                // The next file must follow on directly; a gap or a short file ends the chain.
                if file.size != fileSize { endReason = "blank marker in a file shorter than \(fileSize) bytes"; break chain }
                guard index + 1 < files.count else { endReason = "blank marker at the end of the last file"; break chain }
                if files[index + 1].fromOffset != file.fromOffset + fileSize {
                    endReason = "next file \(files[index + 1].name) does not follow \(file.name) (missing file)"
                    break chain
                }
                index += 1
                continue
            }
            endReason = stop
            break
        }
        try scanAfterEnd(files: files, options: options)
    }

    private mutating func note(_ record: MessageRecordView, at offset: Int64) {
        records += 1
        lastStoreTimestamp = record.storeTimestamp
        if record.transactionType.isDispatchedToConsumeQueue {
            lastQueuedStoreTimestamp = record.storeTimestamp
            let key = RepairQueueKey.make(record)
            var facts = queues[key] ?? {
                queueNames[key] = (record.topic, record.queueId)
                return QueueFacts()
            }()
            facts.nextQueueOffset = max(facts.nextQueueOffset, record.queueOffset + 1)
            facts.lastPhysicalOffset = offset
            queues[key] = facts
        }
        if record.transactionType != .rollback && record.propertiesLength > 0
            && (record.propertyBytes("UNIQ_KEY") != nil || (record.propertyBytes("KEYS")?.count ?? 0) > 0) {
            lastKeyedOffset = offset
        }
    }

    /// Resynchronising search after the end: a candidate at p needs a message magic,
    /// PHYSICALOFFSET = p, a consistent size formula and a matching CRC.
    private mutating func scanAfterEnd(files: [SegmentFile], options: RecordCheckOptions) throws(StoreError) {
        for file in files where file.fromOffset + file.size > endOffset {
            let start = max(0, Int(endOffset - file.fromOffset))
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                guard !bytes.isAllZero(from: start) else { return }
                var lastNonZero = bytes.count - 1
                while lastNonZero >= start && bytes[lastNonZero] == 0 { lastNonZero -= 1 }
                bytesAfterEndNonZero += Int64(lastNonZero + 1 - start)
                var p = start
                while p + 8 <= bytes.count {
                    // The magic is at p + 4; find its first byte (0xDA for V1 and V2) fast.
                    guard let base = bytes.baseAddress,
                          let hit = memchr(base + p + 4, 0xDA, bytes.count - p - 4) else { break }
                    let q = base.distance(to: UnsafeRawPointer(hit)) - 4
                    p = q + 1
                    guard q >= start, let magic = bytes.readBigEndian(Int32.self, at: q + 4),
                          MessageVersion(magic: magic) != nil,
                          bytes.readBigEndian(Int64.self, at: q + 28) == file.fromOffset + Int64(q) else { continue }
                    if case .message(let record) = RecordDecoder.decode(bytes, at: q, options: options), record.check.success {
                        recordsAfterEnd += 1
                        if firstValidAfterEnd == nil { firstValidAfterEnd = file.fromOffset + Int64(q) }
                        p = q + Int(record.totalSize)
                    }
                }
            }
        }
    }
}

enum RepairQueueKey {
    static func make(_ record: MessageRecordView) -> String { record.topic + "/" + String(record.queueId) }
}
