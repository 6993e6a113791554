// Whether the consume queues and the index agree with the log BEFORE its end: what recover
// rebuilds besides the broker's abnormal recovery (which only looks at the end).
//
// Nothing here walks the log: the recover scan (LogEndScan) already added up, per queue, the
// units the log dispatches (UnitDigest.unit over the records whose queue offset the existing
// queue covers) and, per index file, its interior entries (verify's IndexCoverage rules). Here
// the queue files and index files are read once, sequentially, and added up the same way; equal
// sums prove them (a chance match has probability 2^-64). A queue that differs is rebuilt
// whole from the log; an index file that differs, or whose hash chains are not the ones putKey
// builds (out of range, cyclic, in the wrong slot), makes the index rebuilt.

import RocketMQFormat
import RocketMQStore

enum DerivedConsistency {
    /// Why the units of an existing queue disagree with the log, nil when they agree.
    /// `units`: the queue's maxOffset after recovery and the cut at `endOffset`; `expected`:
    /// the log's digest of the records with a queue offset below the queue's maxOffset before
    /// the cut. Units below the log's first record (`logMinOffset`, the head files deleted by
    /// the broker's clean-up) and the pre-blank units of a queue created mid-way are not
    /// compared; from the first unit naming a record in the log on, every position counts, so
    /// a missing file (the head one too), a zeroed or duplicated unit or a wrong tagsCode shows.
    static func queueDisagreement(_ location: ConsumeQueueLocation, units: Int64, expected: LogEndScan.QueueDigest,
                                  logMinOffset: Int64, fileSize: Int64) throws(StoreError) -> String? {
        var actual = LogEndScan.QueueDigest()
        var started = false
        var firstPosition: Int64?
        let unitSize = Int64(ConsumeQueueUnit.size)
        for file in location.files where file.size > 0 {
            let first = file.fromOffset / unitSize
            guard first < units else { break }
            let count = min(min(file.size, fileSize) / unitSize, units - first)
            guard count > 0 else { continue }
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                var position = 0
                for i in 0..<Int(count) {
                    defer { position += ConsumeQueueUnit.size }
                    let physicalOffset: Int64 = bytes.readBigEndianUnchecked(at: position)
                    let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
                    let tagsCode: Int64 = bytes.readBigEndianUnchecked(at: position + 12)
                    if !started {
                        if physicalOffset < logMinOffset || (physicalOffset == 0 && size == Int32.max && tagsCode == 0) { continue }
                        started = true
                        firstPosition = first + Int64(i)
                    }
                    actual.add(queueOffset: first + Int64(i), physicalOffset: physicalOffset, size: size, tagsCode: tagsCode)
                }
            }
        }
        if actual.count == expected.count && actual.sum == expected.sum { return nil }
        if let lowest = expected.count > 0 ? expected.lowestQueueOffset : nil, lowest < (firstPosition ?? units) {
            return "the log has queue offsets from \(lowest) but the queue's units start at \(firstPosition ?? units) (a lost head file?)"
        }
        if actual.count != expected.count {
            return "\(actual.count) unit(s) below queue offset \(units) where the log has \(expected.count) record(s) (a zeroed, lost or extra unit)"
        }
        return "units below queue offset \(units) differ from their records (physical offset, size or tagsCode)"
    }

    /// The first unit of a queue that names a valid record of exactly its size which no longer
    /// belongs to the queue (its TOPIC/QUEUEID say another one) or to any queue (its SYSFLAG
    /// makes it PREPARED/ROLLBACK). The unit was written from that record's header, so the header
    /// changed since (outside the body CRC). A duplicated, zeroed or garbage unit names a record
    /// of this queue, or no record start at all, and is not taken for this. Only run for a queue
    /// that disagrees with the log.
    static func headerDamage(_ location: ConsumeQueueLocation, units: Int64, logMinOffset: Int64, endOffset: Int64,
                             fileSize: Int64, log: RecordReader) throws(StoreError) -> (offset: Int64, reason: String)? {
        let unitSize = Int64(ConsumeQueueUnit.size)
        let topic = Array(location.topic.utf8)
        for file in location.files where file.size > 0 {
            let first = file.fromOffset / unitSize
            guard first < units else { break }
            let count = min(min(file.size, fileSize) / unitSize, units - first)
            guard count > 0 else { continue }
            let bytes = try FileSystem.read(file.path, offset: 0, count: Int(count * unitSize))
            for i in 0..<Int(count) {
                let unit = bytes.withUnsafeBytes { try? ConsumeQueueUnit(decoding: $0, at: i * ConsumeQueueUnit.size) }
                guard let unit, unit.physicalOffset >= logMinOffset, unit.physicalOffset < endOffset, unit.size > 0 else { continue }
                let found = try log.withRecord(at: unit.physicalOffset) { record -> String? in
                    guard record.totalSize == unit.size else { return nil }
                    let queue = "\(location.topic)/\(location.queueId)"
                    if !record.transactionType.isDispatchedToConsumeQueue {
                        return "header damage outside the body CRC: unit \(first + Int64(i)) of \(queue) names this record, whose SYSFLAG now makes it \(record.transactionType.name) (not dispatched)"
                    }
                    if record.queueId != location.queueId || !record.topicBytes.elementsEqual(topic) {
                        return "header damage outside the body CRC: unit \(first + Int64(i)) of \(queue) names this record, whose TOPIC/QUEUEID now say \(record.topic)/\(record.queueId)"
                    }
                    return nil
                }
                if let reason = found ?? nil { return (unit.physicalOffset, reason) }
            }
        }
        return nil
    }

    /// What is wrong with the index files by putKey's rules alone (no log needed, so it runs
    /// beside the recover scan): hash chains, entry order, entries inside the header's range,
    /// the header naming its first and last entries. Files whose header is broken are left to
    /// the caller (StoreRecoverer.headerProblem). Nil when every file keeps the rules.
    static func indexStructureProblem(_ layout: StoreLayout) throws(StoreError) -> String? {
        for file in layout.indexFiles {
            guard let indexLayout = layout.indexLayout(of: file), indexLayout.fileSize == Int(file.size) else { continue }
            let region = try MappedRegion(path: file.path, sequential: false)
            let problem: String? = region.withBytes { bytes -> String? in
                guard let view = try? IndexFileView(bytes: bytes, layout: indexLayout) else { return nil }
                let header = view.header
                let count = Int(header.effectiveIndexCount)
                guard count > 1, count <= indexLayout.indexNum else { return nil }
                if let chain = chainProblem(view, count: count) { return chain }
                var previous = Int64.min
                var position = indexLayout.entryPosition(1)
                for k in 1..<count {
                    let physical: Int64 = view.bytes.readBigEndianUnchecked(at: position + 4)
                    position += IndexFileLayout.entrySize
                    if physical < previous { return "entry \(k) points before the previous entry" }
                    if physical < header.beginPhyOffset || physical > header.endPhyOffset { return "entry \(k) points outside the header's range" }
                    previous = physical
                }
                guard let first = view.entry(1), let last = view.entry(count - 1) else { return "entries unreadable" }
                if first.phyOffset != header.beginPhyOffset || last.phyOffset != header.endPhyOffset {
                    return "the header's beginPhyOffset/endPhyOffset are not its first and last entries'"
                }
                return nil
            }
            if let problem { return "\(file.relativePath): \(problem)" }
        }
        return nil
    }

    /// Why the index's entries disagree with the log's records before `endOffset`, nil when
    /// they agree: per file, the interior entries against the scan's digest, the entries at the
    /// ends (a record's keys may be split between two files) and the header's times against
    /// their records.
    static func indexContentProblem(_ layout: StoreLayout, digests: [IndexDigest], coverage: IndexCoverage, logMinOffset: Int64,
                                    endOffset: Int64, checkOptions: RecordCheckOptions) throws(StoreError) -> String? {
        let digested = Set(coverage.ranges.map(\.file))
        let log = RecordReader(files: layout.commitLogFiles, options: checkOptions)
        for (i, file) in layout.indexFiles.enumerated() {
            guard let indexLayout = layout.indexLayout(of: file), indexLayout.fileSize == Int(file.size) else { continue }
            let region = try MappedRegion(path: file.path, sequential: false)
            let problem: String? = try region.withBytes { (bytes) throws(StoreError) -> String? in
                guard let view = try? IndexFileView(bytes: bytes, layout: indexLayout) else { return nil }
                let header = view.header
                let count = Int(header.effectiveIndexCount)
                guard count > 1, count <= indexLayout.indexNum else { return nil }
                if digested.contains(i) {
                    let low = max(header.beginPhyOffset + 1, logMinOffset), high = min(header.endPhyOffset, endOffset)
                    var actual = IndexDigest()
                    if low < high {
                        var position = indexLayout.entryPosition(1)
                        for _ in 1..<count {
                            defer { position += IndexFileLayout.entrySize }
                            let physical: Int64 = view.bytes.readBigEndianUnchecked(at: position + 4)
                            guard physical >= low, physical < high else { continue }
                            let keyHash: Int32 = view.bytes.readBigEndianUnchecked(at: position)
                            let timeDiff: Int32 = view.bytes.readBigEndianUnchecked(at: position + 12)
                            actual.sum &+= UnitDigest.entry(physicalOffset: physical, keyHash: keyHash, timeDiff: timeDiff)
                            actual.count += 1
                        }
                    }
                    let expected = i < digests.count ? digests[i] : IndexDigest()
                    if actual != expected { return "entries inside its range differ from the keys of the records they name" }
                } else if header.beginPhyOffset < header.endPhyOffset {
                    return "its range overlaps another index file's"
                }
                // Entries are in offset order (indexStructureProblem): the ends' entries are the
                // first and the last ones.
                for (offset, timestamp, step) in [(header.beginPhyOffset, header.beginTimestamp, 1), (header.endPhyOffset, header.endTimestamp, -1)]
                where offset >= logMinOffset && offset < endOffset {
                    guard let keys = try log.keys(at: offset) else { return "an entry names \(offset), where no valid record starts" }
                    if keys.storeTimestamp != timestamp { return "the header's time for \(offset) is not its record's STORETIMESTAMP" }
                    var k = step > 0 ? 1 : count - 1
                    while k >= 1 && k < count {
                        let position = indexLayout.entryPosition(k)
                        let physical: Int64 = view.bytes.readBigEndianUnchecked(at: position + 4)
                        guard physical == offset else { break }
                        let keyHash: Int32 = view.bytes.readBigEndianUnchecked(at: position)
                        if !keys.hashes.contains(keyHash) { return "entry \(k)'s record at \(offset) has no key with its hash" }
                        k += step
                    }
                }
                return nil
            }
            if let problem { return "\(file.relativePath): \(problem)" }
        }
        return nil
    }

    /// putKey replayed in entry order (FORMAT.md §8.3): entry k links to the last earlier entry
    /// of its slot and each slot names its last entry. Exactly that holding proves every chain
    /// in range, acyclic and in its own slot, with sequential reads only.
    static func chainProblem(_ view: IndexFileView, count: Int) -> String? {
        let slots = view.layout.hashSlotNum
        let bytes = view.bytes
        var last = [Int32](repeating: 0, count: slots)
        var position = view.layout.entryPosition(1)
        for k in 1..<count {
            let keyHash: Int32 = bytes.readBigEndianUnchecked(at: position)
            let previous: Int32 = bytes.readBigEndianUnchecked(at: position + 16)
            position += IndexFileLayout.entrySize
            guard keyHash >= 0 else { return "entry \(k) has a negative key hash" }
            let slot = Int(keyHash) % slots
            guard previous == last[slot] else { return "entry \(k)'s prevIndex \(previous) is not the previous entry of its slot (\(last[slot]))" }
            last[slot] = Int32(k)
        }
        for slot in 0..<slots {
            let value: Int32 = bytes.readBigEndianUnchecked(at: view.layout.slotPosition(slot))
            if value != last[slot] { return "hash slot \(slot) names entry \(value), not its slot's last entry \(last[slot])" }
        }
        return nil
    }
}

/// Records read at given offsets of the log (the few an index file's ends name).
struct RecordReader {
    var files: [SegmentFile]
    var options: RecordCheckOptions

    /// `body` on the valid record starting at `offset` (nil when none starts there).
    func withRecord<T>(at offset: Int64, _ body: (MessageRecordView) -> T) throws(StoreError) -> T? {
        guard let file = files.last(where: { $0.fromOffset <= offset }), offset < file.fromOffset + file.size else { return nil }
        let region = try MappedRegion(path: file.path, sequential: false)
        return region.withBytes { bytes in
            guard case .message(let record) = RecordDecoder.decode(bytes, at: Int(offset - file.fromOffset), options: options),
                  record.check.success, record.physicalOffset == offset else { return nil }
            return body(record)
        }
    }

    /// The store time and index key hashes of the valid record starting at `offset`.
    func keys(at offset: Int64) throws(StoreError) -> (storeTimestamp: Int64, hashes: [Int32])? {
        guard let file = files.last(where: { $0.fromOffset <= offset }), offset < file.fromOffset + file.size else { return nil }
        let region = try MappedRegion(path: file.path, sequential: false)
        return region.withBytes { bytes in
            guard case .message(let record) = RecordDecoder.decode(bytes, at: Int(offset - file.fromOffset), options: options),
                  record.check.success, record.physicalOffset == offset else { return nil }
            var hashes: [Int32] = []
            if record.transactionType != .rollback { IndexVerifier.keyHashes(of: record, into: &hashes) }
            return (record.storeTimestamp, hashes)
        }
    }
}
