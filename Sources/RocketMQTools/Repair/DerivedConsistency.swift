// Whether the consume queues and the index agree with the log BEFORE its end: what recover
// rebuilds besides the broker's abnormal recovery (which only looks at the end).
//
// Nothing here walks the log: the recover scan (LogEndScan) already added up, per queue, the
// units the log dispatches (UnitDigest.unit over the records whose queue offset the existing
// queue covers) and, per index file, its interior entries (verify's IndexCoverage rules). The
// queue files and index files are read once, sequentially, beside the scan (QueueUnitDigest,
// IndexFileCheck), and added up the same way; equal sums prove them (a chance match has
// probability 2^-64). A queue that differs is rebuilt
// whole from the log; an index file that differs, or whose hash chains are not the ones putKey
// builds (out of range, cyclic, in the wrong slot), makes the index rebuilt.

import RocketMQFormat
import RocketMQStore

enum DerivedConsistency {
    /// Why the units of an existing queue disagree with the log, nil when they agree.
    /// `actual`: the queue's units up to its maxOffset after recovery and the cut at the end of
    /// the log (`QueueUnitDigest`); `expected`: the log's digest of the records with a queue
    /// offset below the queue's maxOffset before the cut. Units below the log's first record (the
    /// head files deleted by the broker's clean-up) and the pre-blank units of a queue created
    /// mid-way are not compared; from the first unit naming a record in the log on, every
    /// position counts, so a missing file (the head one too), a zeroed or duplicated unit or a
    /// wrong tagsCode shows.
    static func queueDisagreement(_ actual: QueueUnitDigest, expected: LogEndScan.QueueDigest) -> String? {
        let units = actual.units
        if actual.digest.count == expected.count && actual.digest.sum == expected.sum { return nil }
        if let lowest = expected.count > 0 ? expected.lowestQueueOffset : nil, lowest < (actual.firstPosition ?? units) {
            return "the log has queue offsets from \(lowest) but the queue's units start at \(actual.firstPosition ?? units) (a lost head file?)"
        }
        if actual.digest.count != expected.count {
            return "\(actual.digest.count) unit(s) below queue offset \(units) where the log has \(expected.count) record(s) (a zeroed, lost or extra unit)"
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
    /// beside the recover scan), with each accepted file's check (`IndexFileCheck`, whose digest
    /// `indexContentProblem` completes after the scan). Files whose header is broken are left
    /// to the caller (StoreRecoverer.headerProblem). Nil problem when every file keeps the rules.
    static func indexStructure(_ layout: StoreLayout, logMinOffset: Int64) throws(StoreError) -> (problem: String?, checks: [Int: IndexFileCheck]) {
        var checks: [Int: IndexFileCheck] = [:]
        for (i, file) in layout.indexFiles.enumerated() {
            guard let indexLayout = layout.indexLayout(of: file), indexLayout.fileSize == Int(file.size) else { continue }
            let region = try MappedRegion(path: file.path, sequential: false)
            let check: IndexFileCheck? = region.withBytes { bytes -> IndexFileCheck? in
                guard let view = try? IndexFileView(bytes: bytes, layout: indexLayout) else { return nil }
                let count = Int(view.header.effectiveIndexCount)
                guard count > 1, count <= indexLayout.indexNum else { return nil }
                return IndexFileCheck(view, count: count, low: max(view.header.beginPhyOffset + 1, logMinOffset))
            }
            guard let check else { continue }
            if let problem = check.problem { return ("\(file.relativePath): \(problem)", [:]) }
            checks[i] = check
        }
        return (nil, checks)
    }

    /// `indexStructure`'s problem alone.
    static func indexStructureProblem(_ layout: StoreLayout) throws(StoreError) -> String? {
        try indexStructure(layout, logMinOffset: 0).problem
    }

    /// Why the index's entries disagree with the log's records before `endOffset`, nil when
    /// they agree: per file, the interior entries against the scan's digest, the entries at the
    /// ends (a record's keys may be split between two files) and the header's times against
    /// their records. `checks`: `indexStructure`'s, every file keeping putKey's rules.
    static func indexContentProblem(_ layout: StoreLayout, checks: [Int: IndexFileCheck], digests: [IndexDigest], coverage: IndexCoverage,
                                    logMinOffset: Int64, endOffset: Int64, checkOptions: RecordCheckOptions) throws(StoreError) -> String? {
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
                    // The check ran with the same logMinOffset; recomputed only if it is missing.
                    let check = checks[i].flatMap { $0.low == max(header.beginPhyOffset + 1, logMinOffset) ? $0 : nil }
                        ?? IndexFileCheck(view, count: count, low: max(header.beginPhyOffset + 1, logMinOffset))
                    if let problem = check.problem { return problem }
                    let actual = check.digest(view, count: count, endOffset: endOffset)
                    let expected = i < digests.count ? digests[i] : IndexDigest()
                    if actual != expected { return "entries inside its range differ from the keys of the records they name" }
                } else if header.beginPhyOffset < header.endPhyOffset {
                    return "its range overlaps another index file's"
                }
                // Entries are in offset order (indexStructure): the ends' entries are the
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
