// Finds the last valid record of the whole commitlog, every check on (magic, size formula,
// body CRC, PHYSICALOFFSET = position), following the chain of files from the first one the
// way the broker's recovery would if it scanned everything; then looks past that end for any
// record that still passes every check (resynchronising), to tell a torn tail (nothing valid
// after the end) from damage in the middle of the log (valid records after it).
//
// One mapped file at a time; per record only the per-queue counters are updated. A log of
// more than `splitThreshold` bytes is scanned as two stretches on two threads (LogChainScan),
// split at a record found near the middle and joined after; the result is the same as one
// scan from the start (the joint is checked, and scanned again when it does not hold).

import RocketMQFormat
import RocketMQStore

#if canImport(Glibc)
import Glibc
#endif

struct LogEndScan {
    struct QueueFacts: Equatable {
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

        /// Takes in `other`, facts of the same queue (both with records): from a later stretch
        /// of the log, or from a topic spelled in other bytes that decodes alike.
        mutating func absorb(_ other: QueueFacts) {
            nextQueueOffset = max(nextQueueOffset, other.nextQueueOffset)
            lastPhysicalOffset = max(lastPhysicalOffset, other.lastPhysicalOffset)
            firstPhysicalOffset = min(firstPhysicalOffset, other.firstPhysicalOffset)
            records += other.records
            expected.add(other.expected)
        }
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

        mutating func add(_ other: QueueDigest) {
            sum &+= other.sum
            count += other.count
            lowestQueueOffset = min(lowestQueueOffset, other.lowestQueueOffset)
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
    /// The first record whose QUEUEOFFSET breaks its queue's run (see `LogChainScan`): the
    /// chain ends there, as at a record that fails a check.
    var headerDamage: String?
    /// Where the log was split for two threads (nil: one scan), and whether the joint held.
    private(set) var split: (at: Int64, joined: Bool)?

    /// Below this many bytes of data a second thread is not worth starting.
    static let splitThreshold: Int64 = 64 << 20

    /// Whether to scan in two stretches: at a record near the middle of a log of at least
    /// `splitThreshold` bytes, never, or at a given place (tests; any place gives the result
    /// of one scan from the start).
    enum Split {
        case automatic
        case never
        case at(LogChainScan.Position)
    }

    /// `files` must be the commitlog files in offset order (stray names and zero-length files
    /// already set aside); `fileSize` the configured size. `queueBounds`: per existing queue
    /// ("topic/queueId") the units it holds after recovery; `coverage`: the index files' ranges.
    /// `damagedRecord`: a record found damaged by another check (its offset and why): the valid
    /// data end there. `chunkSize`: the reader's (tests make it small, so records straddle chunks).
    init(files: [SegmentFile], fileSize: Int64, options: RecordCheckOptions, queueBounds: [String: Int64] = [:],
         coverage: IndexCoverage? = nil, damagedRecord: (offset: Int64, reason: String)? = nil,
         split choice: Split = .automatic, chunkSize: Int = 256 << 10) throws(StoreError) {
        let settings = LogChainScan.Settings(
            files: files, fileSize: fileSize, options: options, queueBounds: queueBounds, coverage: coverage,
            damagedRecord: damagedRecord, logStartsAtZero: files.first?.fromOffset == 0, chunkSize: chunkSize)
        var scan = LogChainScan(settings)
        if let coverage { indexDigests = Array(repeating: IndexDigest(), count: coverage.fileCount) }
        guard let first = files.first else { return }
        endOffset = first.fromOffset
        endFile = first
        let start = LogChainScan.Position(file: 0, offset: 0)
        var middle: LogChainScan.Position?
        switch choice {
        case .automatic: middle = try Self.splitPoint(files, options: options)
        case .never: middle = nil
        case .at(let position): middle = position
        }
        if let middle {
            var second = LogChainScan(settings, defersQueueStarts: true)
            var firstResult: Result<Void, StoreError> = .success(())
            var secondResult: Result<Void, StoreError> = .success(())
            ParallelWork.run({ secondResult = Result { () throws(StoreError) in try second.scan(from: middle) } }) {
                firstResult = Result { () throws(StoreError) in try scan.scan(from: start, stopAt: middle) }
            }
            try firstResult.get()
            if scan.reachedStop {
                let joined = (try? secondResult.get()) != nil && scan.continues(into: second)
                split = (files[middle.file].fromOffset + Int64(middle.offset), joined)
                if joined {
                    scan.append(second)
                } else {
                    try scan.scan(from: middle)
                }
            }
        } else {
            try scan.scan(from: start)
        }
        endOffset = scan.endOffset
        endFile = scan.endFile
        endReason = scan.endReason
        headerDamage = scan.headerDamage
        records = scan.records
        lastStoreTimestamp = scan.lastStoreTimestamp
        lastQueuedStoreTimestamp = scan.lastQueuedStoreTimestamp
        lastKeyedOffset = scan.lastKeyedOffset
        indexDigests = scan.indexDigests
        let table = scan.table
        for (i, name) in table.names.enumerated() where table.facts[i].records > 0 {
            let topic = String(decoding: name.topic, as: UTF8.self)
            let key = topic + "/" + String(name.queueId)
            queueNames[key] = (topic, name.queueId)
            var facts = table.facts[i]
            if let other = queues[key] { facts.absorb(other) }  // byte-different topics that decode alike: one queue
            queues[key] = facts
        }
        try scanAfterEnd(files: files, options: options)
    }

    /// Where a second thread may start: the first record at or after the middle of the data
    /// (within 16 MiB) that passes every check, PHYSICALOFFSET equal to its position included,
    /// and is followed by a record (or blank) at its stated end. Nil for a small log or none
    /// found. A wrong guess costs time, not correctness: the first stretch must end exactly here.
    static func splitPoint(_ files: [SegmentFile], options: RecordCheckOptions, threshold: Int64 = splitThreshold) throws(StoreError) -> LogChainScan.Position? {
        var ends: [Int64] = []
        var total: Int64 = 0
        for file in files {
            let end = min(file.size, SparseFile.dataEnd(ofFileAt: file.path))
            ends.append(end)
            total += end
        }
        guard total >= threshold else { return nil }
        var remaining = total / 2
        for (index, file) in files.enumerated() {
            guard remaining < ends[index] else { remaining -= ends[index]; continue }
            let region = try MappedRegion(path: file.path)
            return region.withBytes { bytes -> LogChainScan.Position? in
                let high = min(Int(ends[index]), bytes.count)
                var p = Int(remaining)
                let limit = min(high, p + (16 << 20))
                while p + 8 <= limit {
                    guard let base = bytes.baseAddress, let hit = memchr(base + p + 4, 0xDA, limit - p - 4) else { return nil }
                    let q = base.distance(to: UnsafeRawPointer(hit)) - 4
                    p = q + 1
                    guard let magic = bytes.readBigEndian(Int32.self, at: q + 4), MessageVersion(magic: magic) != nil,
                          bytes.readBigEndian(Int64.self, at: q + 28) == file.fromOffset + Int64(q),
                          case .message(let record) = RecordDecoder.decode(bytes, at: q, options: options), record.check.success,
                          CommitLogFileScanner.failure(of: record, physical: file.fromOffset + Int64(q)) == nil else { continue }
                    let next = q + Int(record.totalSize)
                    switch RecordDecoder.decode(bytes, at: next, options: .dispatch) {
                    case .message(let following) where following.physicalOffset == file.fromOffset + Int64(next):
                        return LogChainScan.Position(file: index, offset: q)
                    case .blank:
                        return LogChainScan.Position(file: index, offset: q)
                    default:
                        continue
                    }
                }
                return nil
            }
        }
        return nil
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
