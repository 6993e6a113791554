// Consume queue checks (FORMAT.md §7, §11.4, §18 items 1, 13–16), queue by queue, file by file.
//
// Each unit is compared with the record it points at (random access through CommitLogMap): same
// TOTALSIZE, topic, QUEUEID, QUEUEOFFSET, a dispatchable transaction type and the tagsCode the
// dispatcher computes. Completeness compares the queue's end with the next QUEUEOFFSET the log
// pass saw for that queue. Memory: one queue at a time, one mapped CQ file at a time.

import Dispatch
import RocketMQFormat
import RocketMQStore
import Synchronization

struct ConsumeQueueVerifier: @unchecked Sendable {  // LogFacts' map is immutable once built
    var layout: StoreLayout
    var facts: LogFacts
    /// Queues checked in parallel (findings are still reported in queue order).
    var jobs = 1
    /// Queues that have a [5.x] batch consume queue instead (BatchConsumeQueueVerifier checks them).
    var batchQueues: Set<VerifyQueueKey> = []

    /// The bounds of every queue found ([min, max) queue offsets), for the config checks.
    func run(into collector: FindingCollector, summary: inout VerifySummary) -> [VerifyQueueKey: (min: Int64, max: Int64)] {
        var bounds: [VerifyQueueKey: (min: Int64, max: Int64)] = [:]
        if layout.rocksDBConsumeQueue {
            collector.add(Finding(.info, "cq.rocksdb", file: "consumequeue",
                                  "consumequeue/ holds RocksDB files: file consume queues are not authoritative and are checked as found"))
        }
        if !layout.hasConsumeQueueDirectory {
            let logQueues = facts.queues.filter { !batchQueues.contains($0.key) }
            if !logQueues.isEmpty {
                let units = logQueues.values.reduce(0) { $0 + $1.count }
                collector.add(Finding(.repairable, "cq.missing-directory", file: "consumequeue", expected: "\(logQueues.count) queues",
                                      found: "no consumequeue/ directory",
                                      "consumequeue/ is missing: \(units) dispatched messages in \(logQueues.count) queues have no consume queue units (RocketMQ rebuilds them at start)"))
            }
            return bounds
        }
        var seen = Set<VerifyQueueKey>()
        let queues = layout.consumeQueues
        if jobs <= 1 || queues.count <= 1 {
            for location in queues {
                let key = VerifyQueueKey(topic: location.topic, queueId: location.queueId)
                seen.insert(key)
                summary.consumeQueues += 1
                bounds[key] = check(location, key: key, into: collector, summary: &summary)
            }
        } else {
            // Batches of queues: each queue's findings are buffered, then replayed in order.
            let batchSize = jobs * 8
            var batchStart = 0
            while batchStart < queues.count {
                let batch = Array(queues[batchStart..<min(queues.count, batchStart + batchSize)])
                let results = Locked<[QueueResult?]>(Array(repeating: nil, count: batch.count))
                let next = Atomic<Int>(0)
                let downgraded = collector.downgradedToInfo
                DispatchQueue.concurrentPerform(iterations: min(jobs, batch.count)) { _ in
                    while true {
                        let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard index < batch.count else { return }
                        let location = batch[index]
                        let key = VerifyQueueKey(topic: location.topic, queueId: location.queueId)
                        let (local, buffer) = FindingCollector.buffer()
                        local.downgradedToInfo = downgraded
                        var partial = VerifySummary()
                        let bound = check(location, key: key, into: local, summary: &partial)
                        let result = QueueResult(key: key, bound: bound, collector: local, buffer: buffer,
                                                 units: partial.consumeQueueUnits)
                        results.withLock { $0[index] = result }
                    }
                }
                for result in results.withLock({ $0 }) {
                    let result = result!
                    seen.insert(result.key)
                    summary.consumeQueues += 1
                    summary.consumeQueueUnits += result.units
                    bounds[result.key] = result.bound
                    collector.replay(result.collector, result.buffer)
                }
                batchStart += batchSize
            }
        }
        for (key, run) in facts.queues.sorted(by: { $0.key < $1.key }) where !seen.contains(key) && !batchQueues.contains(key) {
            collector.add(Finding(
                .repairable, "cq.missing-queue", file: "consumequeue/\(key.topic)/\(key.queueId)",
                physicalOffset: run.firstPhysicalOffset, topic: key.topic, queueId: key.queueId,
                queueOffset: run.firstQueueOffset, expected: "\(run.count) units", found: "no consume queue",
                "the log holds \(run.count) dispatched messages of this queue but it has no consume queue"))
        }
        return bounds
    }

    private struct QueueResult: @unchecked Sendable {  // handed from a worker to the caller after the join
        var key: VerifyQueueKey
        var bound: (min: Int64, max: Int64)
        var collector: FindingCollector
        var buffer: FindingBuffer
        var units: Int
    }

    private struct QueueState {
        /// Compare each unit with its record (false: the digest proved them equal).
        var lookups = true
        var firstReal: Int64?
        var next: Int64 = 0
        var previousPhysical: Int64 = -1
        var zeroAt: (file: String, position: Int, queueOffset: Int64)?
        var holeReported = false
        var aheadFirst: (file: String, position: Int, queueOffset: Int64, physical: Int64)?
        var aheadCount = 0
        /// Records' QUEUEOFFSET minus the units' position-derived queue offset: grows at each
        /// gap in the records' queue offsets (RocketMQ appends the next unit after a gap).
        var shift: Int64 = 0
        /// A jump not yet confirmed by the next unit: a gap when the next record keeps the new
        /// shift, else one unit whose record's QUEUEOFFSET alone is wrong.
        var pendingGap: (gap: Finding, mismatch: Finding, previousShift: Int64)?
    }

    private func check(_ location: ConsumeQueueLocation, key: VerifyQueueKey, into collector: FindingCollector,
                       summary: inout VerifySummary) -> (min: Int64, max: Int64) {
        let fileSize = layout.consumeQueueFileSize
        let directory = "consumequeue/\(location.topic)/\(location.queueId)"
        var state = QueueState()
        state.next = (location.files.first?.fromOffset ?? 0) / Int64(ConsumeQueueUnit.size)
        // A queue whose units add up to what the log pass saw needs no commitlog reads.
        state.lookups = !Self.digestMatches(location, run: facts.queues[key], facts: facts)
        if location.files.isEmpty {
            collector.add(Finding(.info, "cq.empty-queue-directory", file: directory, topic: key.topic, queueId: key.queueId,
                                  "queue directory holds no files"))
        }
        for (i, file) in location.files.enumerated() {
            let path = file.relativePath
            if file.fromOffset % fileSize != 0 {
                collector.add(Finding(.repairable, "cq.misaligned-name", file: path, topic: key.topic, queueId: key.queueId,
                                      expected: "a multiple of \(fileSize)", found: String(file.fromOffset),
                                      "consume queue file name is not a multiple of the file size"))
            }
            if i + 1 < location.files.count, location.files[i + 1].fromOffset - file.fromOffset != fileSize {
                collector.add(Finding(.repairable, "cq.file-gap", file: path, topic: key.topic, queueId: key.queueId,
                                      expected: SegmentFile.name(forOffset: file.fromOffset + fileSize),
                                      found: location.files[i + 1].name, "consume queue files are not contiguous"))
            }
            if file.size == 0 {
                collector.add(Finding(.repairable, "cq.empty-file", file: path, topic: key.topic, queueId: key.queueId,
                                      expected: String(fileSize), found: "0",
                                      "zero-length consume queue file: RocketMQ refuses to start (apache/rocketmq#9728)"))
                continue
            } else if file.size != fileSize {
                collector.add(Finding(.repairable, "cq.file-size", file: path, topic: key.topic, queueId: key.queueId,
                                      expected: String(fileSize), found: String(file.size),
                                      "consume queue file size differs from the configured size"))
            }
            guard let region = try? MappedRegion(path: file.path) else {
                collector.add(Finding(.unreadable, "cq.unreadable", file: path, topic: key.topic, queueId: key.queueId, "cannot read"))
                continue
            }
            // The trailing hole of the preallocated file reads as zeros: stop there.
            let dataEnd = Int(clamping: SparseFile.dataEnd(ofFileAt: file.path))
            region.withBytes { bytes in
                var position = 0
                while position + ConsumeQueueUnit.size <= bytes.count {
                    if position >= dataEnd {
                        if state.zeroAt == nil {
                            state.zeroAt = (path, position, ConsumeQueueUnit.queueOffset(fileStart: file.fromOffset, position: position))
                        }
                        break
                    }
                    // Files are preallocated: most of the last one is zeros. Skip a zero run with
                    // one word scan instead of unit by unit; units after the run are still
                    // checked (and the run reported as a hole).
                    if bytes.readBigEndianUnchecked(Int64.self, at: position) == 0 {
                        let limit = min(dataEnd, bytes.count - bytes.count % ConsumeQueueUnit.size)
                        let nonZero = Self.firstNonZeroUnit(bytes, from: position, to: limit)
                        if nonZero > position {
                            if state.zeroAt == nil {
                                state.zeroAt = (path, position, ConsumeQueueUnit.queueOffset(fileStart: file.fromOffset, position: position))
                            }
                            position = nonZero
                            continue
                        }
                    }
                    let unit = try! ConsumeQueueUnit(decoding: bytes, at: position)  // in bounds
                    let queueOffset = ConsumeQueueUnit.queueOffset(fileStart: file.fromOffset, position: position)
                    checkUnit(unit, file: file, fileIndex: i, position: position, queueOffset: queueOffset, key: key,
                              state: &state, into: collector, summary: &summary)
                    position += ConsumeQueueUnit.size
                }
            }
        }
        if let pending = state.pendingGap { collector.add(pending.gap) }
        if let first = state.aheadFirst {
            collector.add(Finding(
                .repairable, "cq.ahead-of-log", file: first.file, position: Int64(first.position),
                physicalOffset: first.physical, topic: key.topic, queueId: key.queueId, queueOffset: first.queueOffset,
                expected: "< \(facts.endOffset)", found: String(first.physical),
                "\(state.aheadCount) unit(s) from here point at or past the end of the log (\(facts.endOffset)); recovery truncates them"))
        }
        // Units are deleted only once their records have expired from the log, so a record the
        // log still holds must have its unit: a queue that starts after it lost its head.
        // A queue with no unit at all starts where its first file does (its head file deleted,
        // the next one still empty): judged the same way.
        if let run = facts.queues[key], !location.files.isEmpty,
           let finding = MissingHead.finding(run: run, queueStart: state.firstReal ?? state.next, key: key,
                                             directory: directory, fileSize: fileSize, firstFile: location.files.first) {
            collector.add(finding)
        }
        // Units collapsed after a queue-offset gap end `shift` short of the log: reported as the gap.
        if let run = facts.queues[key], state.next &+ state.shift < run.nextQueueOffset {
            let missing = run.nextQueueOffset &- state.next &- state.shift
            collector.add(Finding(
                .repairable, "cq.behind-log", file: directory, topic: key.topic, queueId: key.queueId,
                queueOffset: state.next, expected: String(run.nextQueueOffset), found: String(state.next),
                "consume queue is behind the log by \(missing) unit(s): dispatched messages up to queue offset \(run.nextQueueOffset - 1) have no unit"))
        }
        return (state.firstReal ?? state.next, state.next)
    }

    /// Whether the units of `location` that point into the log add up (UnitDigest) to the
    /// records the log pass saw for the queue: then every unit names a record of this queue
    /// with its queue offset, size and tagsCode, and no record lacks its unit.
    static func digestMatches(_ location: ConsumeQueueLocation, run: QueueRun?, facts: LogFacts) -> Bool {
        if let run, !run.digestable { return false }
        var digest: UInt64 = 0
        var count = 0
        for file in location.files where file.size > 0 {
            guard let region = try? MappedRegion(path: file.path) else { return false }
            let dataEnd = Int(clamping: SparseFile.dataEnd(ofFileAt: file.path))
            region.withBytes { bytes in
                let limit = min(dataEnd, bytes.count - bytes.count % ConsumeQueueUnit.size)
                var position = 0
                while position < limit {
                    let physical: Int64 = bytes.readBigEndianUnchecked(at: position)
                    if physical == 0 {
                        let nonZero = firstNonZeroUnit(bytes, from: position, to: limit)
                        if nonZero > position {
                            position = nonZero
                            continue
                        }
                    }
                    let size: Int32 = bytes.readBigEndianUnchecked(at: position + 8)
                    if physical >= facts.minOffset, physical < facts.endOffset, size > 0, size != Int32.max {
                        let tagsCode: Int64 = bytes.readBigEndianUnchecked(at: position + 12)
                        let queueOffset = ConsumeQueueUnit.queueOffset(fileStart: file.fromOffset, position: position)
                        digest &+= UnitDigest.unit(queueOffset: queueOffset, physicalOffset: physical, size: size, tagsCode: tagsCode)
                        count += 1
                    }
                    position += ConsumeQueueUnit.size
                }
            }
        }
        return count == (run?.count ?? 0) && digest == (run?.digest ?? 0)
    }

    /// The position of the first unit at or after `from` that is not all zero (`limit` if none).
    static func firstNonZeroUnit(_ bytes: UnsafeRawBufferPointer, from: Int, to limit: Int) -> Int {
        guard let base = bytes.baseAddress else { return limit }
        var i = from
        while i + 8 <= limit, (base + i).loadUnaligned(as: UInt64.self) == 0 { i += 8 }
        while i < limit, base.load(fromByteOffset: i, as: UInt8.self) == 0 { i += 1 }
        return min(limit, i - (i - from) % ConsumeQueueUnit.size)
    }

    private func checkUnit(_ unit: ConsumeQueueUnit, file: SegmentFile, fileIndex: Int, position: Int, queueOffset: Int64,
                           key: VerifyQueueKey, state: inout QueueState, into collector: FindingCollector,
                           summary: inout VerifySummary) {
        let path = file.relativePath
        func finding(_ severity: Finding.Severity, _ code: String, physical: Int64? = nil, expected: String? = nil,
                     found: String? = nil, _ message: String) -> Finding {
            Finding(severity, code, file: path, position: Int64(position), physicalOffset: physical, topic: key.topic,
                    queueId: key.queueId, queueOffset: queueOffset, expected: expected, found: found, message)
        }
        if unit.isAllZero {
            if state.zeroAt == nil { state.zeroAt = (path, position, queueOffset) }
            return
        }
        if let zero = state.zeroAt, !state.holeReported {
            state.holeReported = true
            collector.add(Finding(.repairable, "cq.hole", file: zero.file, position: Int64(zero.position), topic: key.topic,
                                  queueId: key.queueId, queueOffset: zero.queueOffset,
                                  "an all-zero unit is followed by units (first at \(path) @ \(position)); recovery stops at the hole"))
        }
        if unit.isPreBlank {
            if fileIndex != 0 || state.firstReal != nil {
                collector.add(finding(.repairable, "cq.misplaced-pre-blank",
                                      "pre-blank unit (0, 0x7FFFFFFF, 0) after the start of the queue's first file"))
            }
            state.next = queueOffset + 1
            return
        }
        guard unit.isValid else {
            collector.add(finding(.repairable, "cq.invalid-unit", physical: unit.physicalOffset,
                                  found: "offset \(unit.physicalOffset), size \(unit.size)", "invalid unit (offset < 0 or size <= 0)"))
            if state.zeroAt == nil { state.zeroAt = (path, position, queueOffset) }
            return
        }
        summary.consumeQueueUnits += 1
        if state.firstReal == nil { state.firstReal = queueOffset }
        state.next = queueOffset + 1
        if unit.physicalOffset <= state.previousPhysical {
            collector.add(finding(.repairable, "cq.offset-not-increasing", physical: unit.physicalOffset,
                                  expected: "> \(state.previousPhysical)", found: String(unit.physicalOffset),
                                  "physical offsets must strictly increase within a queue"))
        }
        state.previousPhysical = unit.physicalOffset
        guard state.lookups else {
            if unit.physicalOffset >= facts.minOffset, unit.physicalOffset >= facts.endOffset {
                if state.aheadFirst == nil { state.aheadFirst = (path, position, queueOffset, unit.physicalOffset) }
                state.aheadCount += 1
            }
            return
        }
        let delayLevels = layout.options.delayLevels
        let result: Finding? = facts.map.withRecord(at: unit.physicalOffset) { lookup in
            switch lookup {
            case .belowMin:
                return nil
            case .beyondEnd:
                if state.aheadFirst == nil { state.aheadFirst = (path, position, queueOffset, unit.physicalOffset) }
                state.aheadCount += 1
                return nil
            case .damaged:
                return finding(.info, "cq.points-at-damaged-record", physical: unit.physicalOffset,
                               "unit points at a record that fails its checks (reported with the commitlog)")
            case .noFile, .notARecord:
                return finding(.repairable, "cq.no-record", physical: unit.physicalOffset,
                               "unit points at an offset where no valid record starts")
            case .record(let record):
                var problems: [(String, String, String)] = []
                if record.totalSize != unit.size { problems.append(("size", String(unit.size), String(record.totalSize))) }
                if LMQ.isLMQ(key.topic) {
                    // An LMQ unit points at a record of another topic that names this queue in
                    // INNER_MULTI_DISPATCH, with this queue offset in INNER_MULTI_QUEUE_OFFSET (§18 item 14).
                    let listed = LMQ.offset(of: key.topic, in: record)
                    if listed != queueOffset {
                        problems.append(("INNER_MULTI_QUEUE_OFFSET", String(queueOffset), listed.map(String.init) ?? "queue not listed"))
                    }
                } else {
                    if !record.topicBytes.elementsEqual(key.topic.utf8) { problems.append(("topic", key.topic, record.topic)) }
                    if record.queueId != key.queueId { problems.append(("queueId", String(key.queueId), String(record.queueId))) }
                    if let pending = state.pendingGap {
                        state.pendingGap = nil
                        if record.queueOffset == queueOffset &+ pending.previousShift, record.queueOffset != queueOffset &+ state.shift {
                            collector.add(pending.mismatch)
                            state.shift = pending.previousShift
                        } else {
                            collector.add(pending.gap)
                        }
                    }
                    if record.queueOffset != queueOffset &+ state.shift {
                        problems.append(("queueOffset", String(queueOffset &+ state.shift), String(record.queueOffset)))
                    }
                }
                if !record.transactionType.isDispatchedToConsumeQueue {
                    problems.append(("transactionType", "not or commit", record.transactionType.name))
                }
                if !ConsumeQueueUnit.isExtAddress(unit.tagsCode) {
                    let tags = record.tagsCode(delayLevels: delayLevels)
                    if tags != unit.tagsCode { problems.append(("tagsCode", String(unit.tagsCode), String(tags))) }
                }
                guard !problems.isEmpty else { return nil }
                let fields = problems.map(\.0).joined(separator: ", ")
                let mismatch = finding(.repairable, "cq.unit-mismatch", physical: unit.physicalOffset,
                                       expected: problems.map { "\($0.0)=\($0.1)" }.joined(separator: " "),
                                       found: problems.map { "\($0.0)=\($0.2)" }.joined(separator: " "),
                                       "unit does not match the record it points at (\(fields)); expected = unit/queue, found = record")
                // The record matches but for a QUEUEOFFSET ahead of the unit: a gap, if the next
                // unit confirms it (then one finding, not one per later unit).
                if problems.count == 1, problems[0].0 == "queueOffset", !LMQ.isLMQ(key.topic),
                   record.queueOffset > queueOffset &+ state.shift {
                    let expected = queueOffset &+ state.shift
                    let gap = finding(.repairable, "cq.queue-offset-gap", physical: unit.physicalOffset,
                                      expected: "queueOffset=\(expected)", found: "queueOffset=\(record.queueOffset)",
                                      "the queue's records skip queue offsets [\(expected), \(record.queueOffset)) (a lost record): this unit and every later one of the queue sit \(record.queueOffset &- queueOffset) position(s) before their record's QUEUEOFFSET, so a consumer committing queueOffset + 1 skips messages; `rmqstore salvage --renumber` closes the gap")
                    state.pendingGap = (gap, mismatch, state.shift)
                    state.shift = record.queueOffset &- queueOffset
                    return nil
                }
                return mismatch
            }
        }
        if let result { collector.add(result) }
    }
}
