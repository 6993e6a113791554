// One stretch of LogEndScan's walk along the commitlog chain: from a position (a file and a
// byte in it) record by record, every check on, until a record fails, the chain breaks, or a
// given stop position is reached exactly. Per record only the per-queue counters and digests
// are updated.
//
// LogEndScan splits a long log in stretches scanned two at a time on two threads. A stretch
// after the first cannot know how its queues' runs of QUEUEOFFSET continue from the ones
// before, so it defers that check for each queue's first record (`firstQueueOffsets`) to the
// merge.

import RocketMQFormat
import RocketMQStore

struct LogChainScan {
    /// A place in the chain: `files[file]`, byte `offset`.
    struct Position: Equatable {
        var file: Int
        var offset: Int
    }

    struct Settings {
        var files: [SegmentFile]
        var fileSize: Int64
        var options: RecordCheckOptions
        var queueBounds: [String: Int64]
        var coverage: IndexCoverage?
        var damagedRecord: (offset: Int64, reason: String)?
        var logStartsAtZero: Bool
        /// The log reader's chunk (`SequentialReader`).
        var chunkSize = 256 << 10
    }

    private let settings: Settings
    /// True for a stretch that starts at a split point (see the file comment).
    private let defersQueueStarts: Bool

    var endOffset: Int64 = 0
    var endFile: SegmentFile?
    var endReason = "no commitlog file"
    var headerDamage: String?
    var records = 0
    var queuedRecords = 0
    var lastStoreTimestamp: Int64 = 0
    var lastQueuedStoreTimestamp: Int64 = 0
    var lastKeyedOffset: Int64 = -1
    var table = QueueTable()
    var indexDigests: [IndexDigest] = []
    /// Deferring stretch: table row → QUEUEOFFSET of the queue's first record in the stretch.
    var firstQueueOffsets: [Int: Int64] = [:]
    /// The stop position the scan stopped at exactly (a record ends there): its index in
    /// `stops`, -1 when it did not stop at one.
    var stoppedAt = -1
    var reachedStop: Bool { stoppedAt >= 0 }
    private var keyHashes: [Int32] = []

    init(_ settings: Settings, defersQueueStarts: Bool = false) {
        self.settings = settings
        self.defersQueueStarts = defersQueueStarts
        if let coverage = settings.coverage { indexDigests = Array(repeating: IndexDigest(), count: coverage.fileCount) }
        if let first = settings.files.first {
            endOffset = first.fromOffset
            endFile = first
        }
    }

    /// Scans from `start` along the chain. With `stops` (positions after `start`, in log
    /// order), stops when a record ends exactly at one of them (`reachedStop`, `stoppedAt`: its
    /// index); a scan that steps over one goes on to the next, and past the last one to the end
    /// of the chain.
    mutating func scan(from start: Position, stops: [Position] = []) throws(StoreError) {
        let files = settings.files
        let options = settings.options
        var index = start.file
        var nextStop = 0
        stoppedAt = -1
        chain: while index < files.count {
            let file = files[index]
            // Read, not mapped (`SequentialReader`): the scan visits each byte once.
            let reader = try SequentialReader(path: file.path, chunkSize: settings.chunkSize)
            let from = index == start.file ? start.offset : 0
            var position = from
            var reachedBlank = false
            var stopped = false
            var stop = ""
            var zeroHeader: EndOfData?
            records: while true {
                // Positions only grow along the chain: the stops behind it are passed by.
                while nextStop < stops.count, (stops[nextStop].file, stops[nextStop].offset) < (index, position) { nextStop += 1 }
                if nextStop < stops.count, stops[nextStop].file == index, stops[nextStop].offset == position {
                    stopped = true
                    break
                }
                // A message magic: the view lent where it was decoded (`withMessage`), not
                // copied out. Anything else: what is there (`entry(at:)`).
                var ends: String?
                var advance = 0
                let isMessage = try reader.withMessage(at: position, options: options) { record in
                    let expected = file.fromOffset + Int64(position)
                    guard record.check.success, record.totalSize > 0 else {
                        ends = record.check.failure.map { "\($0)" } ?? "record fails the check"
                        return
                    }
                    guard record.physicalOffset == expected else {
                        ends = "PHYSICALOFFSET \(record.physicalOffset) differs from the position \(expected)"
                        return
                    }
                    // verify's other record checks (unused SYSFLAG bits, a V1 topic length
                    // outside 1...127, a 5.x property CRC): a record verify calls damaged
                    // ends the valid data here too, or the recovered store would not verify.
                    if let damagedRecord = settings.damagedRecord, damagedRecord.offset == expected {
                        ends = damagedRecord.reason
                        headerDamage = damagedRecord.reason
                        return
                    }
                    if let failure = CommitLogFileScanner.failure(of: record, physical: expected) {
                        ends = failure.message + (failure.found.map { " (expected \(failure.expected ?? "-"), found \($0))" } ?? "")
                        return
                    }
                    var queue = -1
                    if record.transactionType.isDispatchedToConsumeQueue {
                        queue = queueIndex(record)
                        let facts = table.facts[queue]
                        if defersQueueStarts && facts.records == 0 {
                            firstQueueOffsets[queue] = record.queueOffset
                        } else if let damage = Self.queueOffsetBreak(record, records: facts.records, next: facts.nextQueueOffset,
                                                                     logStartsAtZero: settings.logStartsAtZero) {
                            ends = damage
                            headerDamage = damage
                            return
                        }
                    }
                    note(record, at: expected, queue: queue)
                    advance = Int(record.totalSize)
                }
                if isMessage {
                    if let ends {
                        stop = ends
                        break records
                    }
                    position += advance
                    continue
                }
                switch try reader.entry(at: position, options: options) {
                case .message(let record):  // (not reached: `withMessage` decodes every message)
                    stop = record.check.failure.map { "\($0)" } ?? "record fails the check"
                    break records
                case .blank:
                    reachedBlank = true
                    break records
                case .end(let end):
                    stop = end.description
                    if end.reason == .zeroFilled && !end.restIsZero { zeroHeader = end }
                    break records
                }
            }
            endOffset = file.fromOffset + Int64(position)
            endFile = file
            if stopped {
                stoppedAt = nextStop
                return
            }
            // The options do not scan the (preallocated, often sparse) tail for zeros: check it
            // here without reading holes, for the same reason text.
            if var end = zeroHeader, !(try ContentDigest.isZero(path: file.path, from: Int64(position))) {
                end.reason = .illegalMagic(0)
                stop = end.description
            }
            if reachedBlank {
                // The next file must follow on directly; a gap or a short file ends the chain.
                if file.size != settings.fileSize { endReason = "blank marker in a file shorter than \(settings.fileSize) bytes"; break chain }
                guard index + 1 < files.count else { endReason = "blank marker at the end of the last file"; break chain }
                if files[index + 1].fromOffset != file.fromOffset + settings.fileSize {
                    endReason = "next file \(files[index + 1].name) does not follow \(file.name) (missing file)"
                    break chain
                }
                index += 1
                continue
            }
            endReason = stop
            break
        }
    }

    /// Whether `next`, scanned from where this stretch stopped, continues every queue's run of
    /// QUEUEOFFSET (the checks `next` deferred); false: scan it again after this one instead.
    func continues(into next: LogChainScan) -> Bool {
        for (row, first) in next.firstQueueOffsets {
            let name = next.table.names[row]
            let here = name.topic.withUnsafeBytes { table.existingIndex(topic: $0, queueId: name.queueId) }
            let records = here.map { table.facts[$0].records } ?? 0
            let expected: Int64? = records > 0 ? table.facts[here!].nextQueueOffset : (settings.logStartsAtZero ? 0 : nil)
            if let expected, expected != first { return false }
        }
        return true
    }

    /// Takes on `next`, the stretch that follows this one (see `continues(into:)`).
    mutating func append(_ next: LogChainScan) {
        for (j, name) in next.table.names.enumerated() {
            let other = next.table.facts[j]
            let i = name.topic.withUnsafeBytes { table.index(topic: $0, queueId: name.queueId) }
            if table.facts[i].records == 0 {
                table.facts[i] = other
                continue
            }
            if other.records > 0 { table.facts[i].absorb(other) }
        }
        for i in indexDigests.indices where i < next.indexDigests.count { indexDigests[i].add(next.indexDigests[i]) }
        if next.records > 0 { lastStoreTimestamp = next.lastStoreTimestamp }
        if next.queuedRecords > 0 { lastQueuedStoreTimestamp = next.lastQueuedStoreTimestamp }
        if next.lastKeyedOffset >= 0 { lastKeyedOffset = next.lastKeyedOffset }
        records += next.records
        queuedRecords += next.queuedRecords
        endOffset = next.endOffset
        endFile = next.endFile
        endReason = next.endReason
        headerDamage = next.headerDamage
        stoppedAt = next.stoppedAt
    }

    /// `queue`: the record's row in the table when it is dispatched to a consume queue.
    private mutating func note(_ record: MessageRecordView, at offset: Int64, queue i: Int) {
        records += 1
        lastStoreTimestamp = record.storeTimestamp
        let properties = DispatchFields(record, delayLevels: settings.options.delayLevels)
        if i >= 0 {
            queuedRecords += 1
            lastQueuedStoreTimestamp = record.storeTimestamp
            table.facts[i].nextQueueOffset = max(table.facts[i].nextQueueOffset, record.queueOffset + 1)
            table.facts[i].lastPhysicalOffset = offset
            if table.facts[i].records == 0 { table.facts[i].firstPhysicalOffset = offset }
            table.facts[i].records += 1
            if record.queueOffset < table.facts[i].existingUnits {
                table.facts[i].expected.add(queueOffset: record.queueOffset, physicalOffset: offset, size: record.totalSize,
                                            tagsCode: properties.tagsCode)
            }
        }
        guard record.transactionType != .rollback, record.propertiesLength > 0, properties.uniqKey != nil || (properties.keys?.count ?? 0) > 0 else { return }
        lastKeyedOffset = offset
        // The entries verify's log pass expects in the index file whose range holds the record.
        if let coverage = settings.coverage, let range = coverage.range(strictlyContaining: offset) {
            keyHashes.removeAll(keepingCapacity: true)
            IndexVerifier.keyHashes(topic: record.topicBytes, uniqueKey: properties.uniqKey, keys: properties.keys, into: &keyHashes)
            let timeDiff = IndexCoverage.timeDiff(storeTimestamp: record.storeTimestamp, beginTimestamp: range.beginTimestamp)
            for hash in keyHashes {
                indexDigests[range.file].sum &+= UnitDigest.entry(physicalOffset: offset, keyHash: hash, timeDiff: timeDiff)
            }
            indexDigests[range.file].count += keyHashes.count
        }
    }

    /// The queue's row in the table, by the topic's bytes: no String per record (the table names
    /// them at the end). A new row learns how many units the existing queue holds.
    private mutating func queueIndex(_ record: MessageRecordView) -> Int {
        let before = table.names.count
        let i = table.index(topic: record.topicBytes, queueId: record.queueId)
        if table.names.count > before {
            let key = String(decoding: record.topicBytes, as: UTF8.self) + "/" + String(record.queueId)
            table.facts[i].existingUnits = settings.queueBounds[key] ?? 0
        }
        return i
    }

    /// RocketMQ gives a queue's records consecutive QUEUEOFFSETs (4.9.8 `topicQueueTable`), and
    /// with nothing deleted from the log every queue starts at 0. A dispatched record that
    /// breaks that run passes every check (the body CRC does not cover the header), yet its
    /// QUEUEOFFSET, QUEUEID, TOPIC or SYSFLAG (or a neighbour's) was changed: dispatching it would
    /// put units out of place ("logic queue order maybe wrong") or drop them. Neither the log
    /// nor the queue can be taken as right alone, so the record ends the valid data like a
    /// record that fails a check (refused as damage in the middle of the log unless
    /// --accept-loss; `salvage` keeps it). Nil when the record continues its queue.
    /// (Static: a method on `self` called in the mapped-bytes closure copied the whole scan.)
    private static func queueOffsetBreak(_ record: MessageRecordView, records: Int64, next: Int64, logStartsAtZero: Bool) -> String? {
        let expected: Int64? = records > 0 ? next : (logStartsAtZero ? 0 : nil)
        guard let expected, record.queueOffset != expected else { return nil }
        let queue = String(decoding: record.topicBytes, as: UTF8.self) + "/" + String(record.queueId)
        return "header damage outside the body CRC: QUEUEOFFSET \(record.queueOffset) of a record of \(queue) "
            + "where its queue runs on at \(expected) (QUEUEOFFSET, QUEUEID, TOPIC or SYSFLAG of this record or an earlier one changed)"
    }
}
