// Finds the last valid record of the whole commitlog, every check on (magic, size formula,
// body CRC, PHYSICALOFFSET = position), following the chain of files from the first one the
// way the broker's recovery would if it scanned everything; then looks past that end for any
// record that still passes every check (resynchronising), to tell a torn tail (nothing valid
// after the end) from damage in the middle of the log (valid records after it).
//
// Per record only the per-queue counters are updated. A log of more than `splitThreshold` bytes
// is scanned as stretches of about `stretchSize` (LogChainScan), split at records found near
// evenly spaced places, that two threads take in turn, and joined in order after; the result is
// the same as one scan from the start (each joint is checked, and the log scanned again from
// there when it does not hold). Many stretches, not two halves: the threads finish together
// even when a third (recover's index check) takes turns on their cores.

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
    /// Where the log was split into stretches (nil: one scan), and whether every joint held.
    private(set) var split: (at: [Int64], joined: Bool)?

    /// Below this many bytes of data a second thread is not worth starting.
    static let splitThreshold: Int64 = 64 << 20
    /// The length of a stretch the threads take in turn (at most `maxStretches` of them).
    static let stretchSize: Int64 = 64 << 20
    static let maxStretches = 16

    /// Whether to scan in stretches: at records near evenly spaced places of a log of at least
    /// `splitThreshold` bytes, never, or at given places in log order (tests; any places give
    /// the result of one scan from the start).
    enum Split {
        case automatic
        case never
        case at([LogChainScan.Position])
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
        if let coverage { indexDigests = Array(repeating: IndexDigest(), count: coverage.fileCount) }
        guard let first = files.first else { return }
        endOffset = first.fromOffset
        endFile = first
        let start = LogChainScan.Position(file: 0, offset: 0)
        var points: [LogChainScan.Position]
        switch choice {
        case .automatic: points = try Self.splitPoints(files, options: options)
        case .never: points = []
        case .at(let places): points = places
        }
        var scan: LogChainScan
        if points.isEmpty {
            scan = LogChainScan(settings)
            try scan.scan(from: start)
        } else {
            scan = try Self.scanStretches(settings, from: [start] + points, split: &split)
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

    /// Stretch i runs from `starts[i]` to the next start its chain reaches exactly (normally
    /// `starts[i + 1]`; the last one to the end of the chain), on two threads that take the
    /// next stretch when done; then the stretches are joined in order, each to the ones before
    /// it, while it continues them (`LogChainScan.continues(into:)`). Where one does not, the
    /// log is scanned again from its start, to the end of the chain. A stretch that steps over
    /// a start (one that is not on the chain) stops at the next it meets, and the stretches in
    /// between are left out: no stretch scans far past its own, whatever the starts.
    private static func scanStretches(_ settings: LogChainScan.Settings, from starts: [LogChainScan.Position],
                                      split: inout (at: [Int64], joined: Bool)?) throws(StoreError) -> LogChainScan {
        let count = starts.count
        let work = Locked((next: 0, results: [Result<LogChainScan, StoreError>?](repeating: nil, count: count)))
        let take = {
            while let i = work.withLock({ state -> Int? in
                guard state.next < count else { return nil }
                state.next += 1
                return state.next - 1
            }) {
                var stretch = LogChainScan(settings, defersQueueStarts: i > 0)
                let result = Result { () throws(StoreError) -> LogChainScan in
                    try stretch.scan(from: starts[i], stops: Array(starts[(i + 1)...]))
                    return stretch
                }
                work.withLock { $0.results[i] = result }
            }
        }
        ParallelWork.run(take) { take() }
        let results = work.withLock { $0.results }
        var scan = try results[0]!.get()
        var joined = true
        var done = 0  // the last stretch taken into `scan`
        while scan.reachedStop {
            // `stoppedAt` indexes the starts after the last stretch taken in.
            let i = done + 1 + scan.stoppedAt
            if i != done + 1 { joined = false }  // stepped over a start: its stretch is left out
            if case .success(let next)? = results[i], scan.continues(into: next) {
                scan.append(next)
                done = i
            } else {
                joined = false
                try scan.scan(from: starts[i])
                break
            }
        }
        // (The chain ended before the last stretch: at damage, or stepping over a start.)
        if done < count - 1 { joined = false }
        split = (starts.dropFirst().map { settings.files[$0.file].fromOffset + Int64($0.offset) }, joined)
        return scan
    }

    /// Where stretches may start: for each of `count - 1` evenly spaced places of the data (count
    /// from the data's length: one per `stretch` bytes, 2 to `maxStretches`), the first record at
    /// or after it (within 16 MiB) that passes every check, PHYSICALOFFSET equal to its position
    /// included, and is followed by a record (or blank) at its stated end. Empty for a small log.
    /// A wrong guess costs time, not correctness: the stretch before must end exactly there.
    static func splitPoints(_ files: [SegmentFile], options: RecordCheckOptions, threshold: Int64 = splitThreshold,
                            stretch: Int64 = stretchSize) throws(StoreError) -> [LogChainScan.Position] {
        var ends: [Int64] = []
        var total: Int64 = 0
        for file in files {
            let end = min(file.size, SparseFile.dataEnd(ofFileAt: file.path))
            ends.append(end)
            total += end
        }
        guard total >= threshold else { return [] }
        let count = Int(min(Int64(maxStretches), max(2, total / max(1, stretch))))
        var points: [LogChainScan.Position] = []
        for i in 1..<count {
            guard let point = try recordStart(files, ends: ends, after: total * Int64(i) / Int64(count), options: options) else { continue }
            if let previous = points.last, (previous.file, previous.offset) >= (point.file, point.offset) { continue }
            points.append(point)
        }
        return points
    }

    /// The first record at or after byte `target` of the data (see `splitPoints`).
    private static func recordStart(_ files: [SegmentFile], ends: [Int64], after target: Int64,
                                    options: RecordCheckOptions) throws(StoreError) -> LogChainScan.Position? {
        var remaining = target
        var budget = 16 << 20
        for (index, file) in files.enumerated() {
            guard remaining < ends[index] else { remaining -= ends[index]; continue }
            let from = Int(remaining)
            remaining = 0  // none after `from` here (the file's blank tail): the next file's first
            let region = try MappedRegion(path: file.path)
            let found = region.withBytes { bytes -> LogChainScan.Position? in
                let limit = min(min(Int(ends[index]), bytes.count), from + budget)
                var p = from
                while let (q, size) = nextValidRecord(in: bytes, from: p, before: limit, fileFromOffset: file.fromOffset, options: options) {
                    // A start must also be followed by a record (or blank) at its stated end.
                    let next = q + size
                    switch RecordDecoder.decode(bytes, at: next, options: .dispatch) {
                    case .message(let following) where following.physicalOffset == file.fromOffset + Int64(next):
                        return LogChainScan.Position(file: index, offset: q)
                    case .blank:
                        return LogChainScan.Position(file: index, offset: q)
                    default:
                        p = q + 1
                    }
                }
                return nil
            }
            if let found { return found }
            budget -= Int(ends[index]) - from
            if budget <= 0 { return nil }
        }
        return nil
    }

    /// The first record starting in [from, limit) of a file's bytes that passes every check:
    /// a message magic (found with memchr on its first byte, 0xDA for V1 and V2),
    /// PHYSICALOFFSET equal to its position, a consistent size formula, a matching CRC, and
    /// verify's other record checks. Its position and TOTALSIZE.
    static func nextValidRecord(in bytes: UnsafeRawBufferPointer, from: Int, before limit: Int, fileFromOffset: Int64,
                                options: RecordCheckOptions) -> (position: Int, totalSize: Int)? {
        var p = from
        while p + 8 <= limit {
            guard let base = bytes.baseAddress, let hit = memchr(base + p + 4, 0xDA, limit - p - 4) else { return nil }
            let q = base.distance(to: UnsafeRawPointer(hit)) - 4
            p = q + 1
            guard let magic = bytes.readBigEndian(Int32.self, at: q + 4), MessageVersion(magic: magic) != nil,
                  bytes.readBigEndian(Int64.self, at: q + 28) == fileFromOffset + Int64(q),
                  case .message(let record) = RecordDecoder.decode(bytes, at: q, options: options), record.check.success,
                  CommitLogFileScanner.failure(of: record, physical: fileFromOffset + Int64(q)) == nil else { continue }
            return (q, Int(record.totalSize))
        }
        return nil
    }

    /// Resynchronising search after the end (`nextValidRecord`), each record found skipped
    /// whole.
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
                bytesAfterEndNonZero += Int64(UnsafeRawBufferPointer(rebasing: bytes[start..<high]).nonZeroEnd)
                var p = low
                while let (q, size) = Self.nextValidRecord(in: bytes, from: p, before: high, fileFromOffset: file.fromOffset, options: options) {
                    recordsAfterEnd += 1
                    if firstValidAfterEnd == nil { firstValidAfterEnd = file.fromOffset + Int64(q) }
                    p = q + size
                }
            }
        }
    }
}
