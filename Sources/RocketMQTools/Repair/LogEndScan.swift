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
        var firstPhysicalOffset: Int64 = -1
        /// Dispatched records of the queue (each queue offset once: offsets are checked to run on).
        var records: Int64 = 0
        /// Units the existing consume queue holds after the broker's recovery (its maxOffset);
        /// only records below it are digested, the rest are the queue's lag.
        var existingUnits: Int64 = 0
        /// `UnitDigest.unit` summed over the records with a queue offset below `existingUnits`.
        var expected = QueueDigest()
    }

    /// A sum of `UnitDigest.unit` values and their count: equal digests mean the same units at
    /// the same queue offsets (a chance match has probability 2^-64).
    struct QueueDigest: Equatable {
        var sum: UInt64 = 0
        var count: Int64 = 0
        var lowestQueueOffset: Int64 = .max

        mutating func add(queueOffset: Int64, physicalOffset: Int64, size: Int32, tagsCode: Int64) {
            sum &+= UnitDigest.unit(queueOffset: queueOffset, physicalOffset: physicalOffset, size: size, tagsCode: tagsCode)
            count += 1
            lowestQueueOffset = min(lowestQueueOffset, queueOffset)
        }
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
    /// Per index file (as `layout.indexFiles`): what its interior entries add up to according
    /// to the log (the digest verify's log pass makes, IndexCoverage's rules).
    var indexDigests: [IndexDigest] = []
    /// The first record whose QUEUEOFFSET breaks its queue's run (see `queueOffsetBreak`): the
    /// chain ends there, as at a record that fails a check.
    var headerDamage: String?
    private var table = QueueTable()
    private let delayLevels: DelayLevelTable
    private let queueBounds: [String: Int64]
    private let coverage: IndexCoverage?
    private let logStartsAtZero: Bool
    private var keyHashes: [Int32] = []

    /// `files` must be the commitlog files in offset order (stray names and zero-length files
    /// already set aside); `fileSize` the configured size. `queueBounds`: per existing queue
    /// ("topic/queueId") the units it holds after recovery; `coverage`: the index files' ranges.
    /// `damagedRecord`: a record found damaged by another check (its offset and why): the valid
    /// data end there.
    init(files: [SegmentFile], fileSize: Int64, options: RecordCheckOptions, queueBounds: [String: Int64] = [:],
         coverage: IndexCoverage? = nil, damagedRecord: (offset: Int64, reason: String)? = nil) throws(StoreError) {
        delayLevels = options.delayLevels
        self.queueBounds = queueBounds
        self.coverage = coverage
        logStartsAtZero = files.first?.fromOffset == 0
        if let coverage { indexDigests = Array(repeating: IndexDigest(), count: coverage.fileCount) }
        guard let first = files.first else { return }
        endOffset = first.fromOffset
        endFile = first
        var index = 0
        chain: while index < files.count {
            let file = files[index]
            let region = try MappedRegion(path: file.path)
            region.prefetchDataPart()
            var position = 0
            var reachedBlank = false
            var stop = ""
            var zeroHeader: EndOfData?
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
                        // verify's other record checks (unused SYSFLAG bits, a V1 topic length
                        // outside 1...127, a 5.x property CRC): a record verify calls damaged
                        // ends the valid data here too, or the recovered store would not verify.
                        if let damagedRecord, damagedRecord.offset == expected {
                            stop = damagedRecord.reason
                            headerDamage = damagedRecord.reason
                            return
                        }
                        if let failure = CommitLogFileScanner.failure(of: record, physical: expected) {
                            stop = failure.message + (failure.found.map { " (expected \(failure.expected ?? "-"), found \($0))" } ?? "")
                            return
                        }
                        var queue = -1
                        if record.transactionType.isDispatchedToConsumeQueue {
                            queue = queueIndex(record)
                            if let damage = Self.queueOffsetBreak(record, records: table.facts[queue].records,
                                                                  next: table.facts[queue].nextQueueOffset, logStartsAtZero: logStartsAtZero) {
                                stop = damage
                                headerDamage = damage
                                return
                            }
                        }
                        note(record, at: expected, queue: queue)
                        position += Int(record.totalSize)
                    case .blank:
                        reachedBlank = true
                        return
                    case .end(let end):
                        stop = end.description
                        if end.reason == .zeroFilled && !end.restIsZero { zeroHeader = end }
                        return
                    }
                }
            }
            // The options do not scan the (preallocated, often sparse) tail for zeros: check it
            // here without reading holes, for the same reason text.
            if var end = zeroHeader, !(try ContentDigest.isZero(path: file.path, from: Int64(position))) {
                end.reason = .illegalMagic(0)
                stop = end.description
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
        for (i, name) in table.names.enumerated() where table.facts[i].records > 0 {
            let topic = String(decoding: name.topic, as: UTF8.self)
            let key = topic + "/" + String(name.queueId)
            queueNames[key] = (topic, name.queueId)
            var facts = table.facts[i]
            if let other = queues[key] {  // byte-different topics that decode alike: one queue
                facts.nextQueueOffset = max(facts.nextQueueOffset, other.nextQueueOffset)
                facts.lastPhysicalOffset = max(facts.lastPhysicalOffset, other.lastPhysicalOffset)
                facts.firstPhysicalOffset = min(facts.firstPhysicalOffset, other.firstPhysicalOffset)
                facts.records += other.records
                facts.expected.sum &+= other.expected.sum
                facts.expected.count += other.expected.count
                facts.expected.lowestQueueOffset = min(facts.expected.lowestQueueOffset, other.expected.lowestQueueOffset)
            }
            queues[key] = facts
        }
        try scanAfterEnd(files: files, options: options)
    }

    /// `queue`: the record's row in the table when it is dispatched to a consume queue.
    private mutating func note(_ record: MessageRecordView, at offset: Int64, queue i: Int) {
        records += 1
        lastStoreTimestamp = record.storeTimestamp
        let properties = DispatchFields(record, delayLevels: delayLevels)
        if i >= 0 {
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
        if let coverage, let range = coverage.range(strictlyContaining: offset) {
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
            table.facts[i].existingUnits = queueBounds[key] ?? 0
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

    /// Resynchronising search after the end: a candidate at p needs a message magic,
    /// PHYSICALOFFSET = p, a consistent size formula and a matching CRC.
    private mutating func scanAfterEnd(files: [SegmentFile], options: RecordCheckOptions) throws(StoreError) {
        for file in files where file.fromOffset + file.size > endOffset {
            let start = max(0, Int(endOffset - file.fromOffset))
            // Only the data extents can hold non-zero bytes: a 1 GiB preallocated tail that is a
            // hole is skipped, not faulted in page by page.
            let extents = ContentDigest.dataExtents(path: file.path, from: Int64(start), to: file.size)
            guard let first = extents.first, let last = extents.last else { continue }
            let low = Int(first.lowerBound), high = Int(last.upperBound)
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                guard high <= bytes.count, !bytes.isAllZero(from: low, to: high) else { return }
                var lastNonZero = high - 1
                while lastNonZero >= start && bytes[lastNonZero] == 0 { lastNonZero -= 1 }
                bytesAfterEndNonZero += Int64(lastNonZero + 1 - start)
                var p = low
                while p + 8 <= high {
                    // The magic is at p + 4; find its first byte (0xDA for V1 and V2) fast.
                    guard let base = bytes.baseAddress, high - p - 4 > 0,
                          let hit = memchr(base + p + 4, 0xDA, high - p - 4) else { break }
                    let q = base.distance(to: UnsafeRawPointer(hit)) - 4
                    p = q + 1
                    guard q >= start, let magic = bytes.readBigEndian(Int32.self, at: q + 4),
                          MessageVersion(magic: magic) != nil,
                          bytes.readBigEndian(Int64.self, at: q + 28) == file.fromOffset + Int64(q) else { continue }
                    if case .message(let record) = RecordDecoder.decode(bytes, at: q, options: options), record.check.success,
                       CommitLogFileScanner.failure(of: record, physical: file.fromOffset + Int64(q)) == nil {
                        recordsAfterEnd += 1
                        if firstValidAfterEnd == nil { firstValidAfterEnd = file.fromOffset + Int64(q) }
                        p = q + Int(record.totalSize)
                    }
                }
            }
        }
    }
}

/// (topic bytes, queue id) → a dense index, open addressing on a hash of the bytes.
struct QueueTable {
    var names: [(topic: [UInt8], queueId: Int32)] = []
    var facts: [LogEndScan.QueueFacts] = []
    private var hashes: [Int] = []
    private var slots = [Int32](repeating: -1, count: 64)

    private static func hash(_ topic: UnsafeRawBufferPointer, _ queueId: Int32) -> Int {
        let h = FNV1a.topicQueue(topic, queueId)
        return Int(truncatingIfNeeded: h ^ (h >> 29))
    }

    mutating func index(topic: UnsafeRawBufferPointer, queueId: Int32) -> Int {
        let h = Self.hash(topic, queueId)
        var s = h & (slots.count - 1)
        while slots[s] >= 0 {
            let i = Int(slots[s])
            if hashes[i] == h && names[i].queueId == queueId && ByteComparison.equal(names[i].topic, topic) { return i }
            s = (s + 1) & (slots.count - 1)
        }
        let i = names.count
        names.append((Array(topic), queueId))
        facts.append(LogEndScan.QueueFacts())
        hashes.append(h)
        slots[s] = Int32(i)
        if names.count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            for (j, hj) in hashes.enumerated() {
                var t = hj & (slots.count - 1)
                while slots[t] >= 0 { t = (t + 1) & (slots.count - 1) }
                slots[t] = Int32(j)
            }
        }
        return i
    }
}
