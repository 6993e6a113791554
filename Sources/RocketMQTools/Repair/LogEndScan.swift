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
    private var table = QueueTable()

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
                        note(record, at: expected)
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
        for (i, name) in table.names.enumerated() {
            let topic = String(decoding: name.topic, as: UTF8.self)
            let key = topic + "/" + String(name.queueId)
            queueNames[key] = (topic, name.queueId)
            var facts = table.facts[i]
            if let other = queues[key] {  // byte-different topics that decode alike: one queue
                facts.nextQueueOffset = max(facts.nextQueueOffset, other.nextQueueOffset)
                facts.lastPhysicalOffset = max(facts.lastPhysicalOffset, other.lastPhysicalOffset)
            }
            queues[key] = facts
        }
        try scanAfterEnd(files: files, options: options)
    }

    private mutating func note(_ record: MessageRecordView, at offset: Int64) {
        records += 1
        lastStoreTimestamp = record.storeTimestamp
        if record.transactionType.isDispatchedToConsumeQueue {
            lastQueuedStoreTimestamp = record.storeTimestamp
            // By the topic's bytes: no String per record (the table names them at the end).
            let i = table.index(topic: record.topicBytes, queueId: record.queueId)
            table.facts[i].nextQueueOffset = max(table.facts[i].nextQueueOffset, record.queueOffset + 1)
            table.facts[i].lastPhysicalOffset = offset
        }
        if record.transactionType != .rollback && record.propertiesLength > 0 {
            let properties = DispatchFields(record)
            if properties.uniqKey != nil || (properties.keys?.count ?? 0) > 0 { lastKeyedOffset = offset }
        }
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
            if hashes[i] == h && names[i].queueId == queueId && names[i].topic.withUnsafeBytes({ $0.elementsEqual(topic) }) { return i }
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
