// [5.x] BatchConsumeQueue checks (FORMAT.md §7.4, §14.2, §18 items 1 and 17): the queues of
// `queue.type=BatchCQ` topics live in `batchconsumequeue/<topic>/<queueId>/` instead of
// `consumequeue/`. Only 5.x brokers write them (rmqstore never does); a store without the
// directory costs one stat.
//
// Per queue, in unit order: each unit's msgBaseOffset follows the previous unit's base +
// batchSize, physical offsets increase, and the record the unit names (random access through
// CommitLogMap) has the unit's size, the queue's topic and queueId, QUEUEOFFSET = msgBaseOffset,
// a dispatchable transaction type, the dispatcher's tagsCode and STORETIMESTAMP, and INNER_NUM =
// batchSize for an inner batch record (batchSize = 1 otherwise). Against the log pass: the queue
// must neither start after nor end before the queue offsets the log holds for it.
// Memory: one queue at a time, one mapped file at a time.

import RocketMQFormat
import RocketMQStore

/// One `batchconsumequeue/<topic>/<queueId>` directory and its files in name order.
struct BatchConsumeQueueLocation {
    struct File {
        var name: String
        var path: String
        var relativePath: String
        var fromOffset: Int64
        var size: Int64
    }

    var topic: String
    var queueId: Int32
    var files: [File]
    var key: VerifyQueueKey { VerifyQueueKey(topic: topic, queueId: queueId) }
    var directory: String { "batchconsumequeue/\(topic)/\(queueId)" }

    /// The queues under `root/batchconsumequeue` (empty when there is no such directory).
    static func discover(_ root: String) -> [BatchConsumeQueueLocation] {
        let base = root + "/batchconsumequeue"
        guard FileSystem.isDirectory(base), let topics = try? FileSystem.list(base) else { return [] }
        var queues: [BatchConsumeQueueLocation] = []
        for topic in topics where topic.kind == .directory {
            for queue in (try? FileSystem.list(base + "/" + topic.name)) ?? [] {
                guard queue.kind == .directory, let queueId = Int32(queue.name),
                      queue.name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { continue }
                let relative = "batchconsumequeue/\(topic.name)/\(queue.name)"
                var files: [File] = []
                for entry in (try? FileSystem.list(root + "/" + relative)) ?? [] {
                    guard entry.kind == .file, let offset = SegmentFile.parseName(entry.name) else { continue }
                    files.append(File(name: entry.name, path: root + "/" + relative + "/" + entry.name,
                                      relativePath: relative + "/" + entry.name, fromOffset: offset, size: entry.size))
                }
                files.sort { $0.fromOffset < $1.fromOffset }
                queues.append(BatchConsumeQueueLocation(topic: topic.name, queueId: queueId, files: files))
            }
        }
        return queues.sorted { ($0.topic, $0.queueId) < ($1.topic, $1.queueId) }
    }
}

struct BatchConsumeQueueVerifier {
    var facts: LogFacts
    var delayLevels: DelayLevelTable

    /// The file size: the largest file's when it is a whole number of units (the broker's
    /// `mapperFileSizeBatchConsumeQueue` is not recorded in the store), else the default.
    static func fileSize(_ queues: [BatchConsumeQueueLocation]) -> Int64 {
        let largest = queues.flatMap(\.files).map(\.size).max() ?? 0
        let unit = Int64(BatchConsumeQueueUnit.size)
        return largest > 0 && largest % unit == 0 ? largest : Int64(BatchConsumeQueueUnit.defaultFileSize)
    }

    /// Checks every queue; returns each queue's [min, max) queue offsets for the config checks.
    func run(_ queues: [BatchConsumeQueueLocation], into collector: FindingCollector,
             summary: inout VerifySummary) -> [VerifyQueueKey: (min: Int64, max: Int64)] {
        let fileSize = Self.fileSize(queues)
        var bounds: [VerifyQueueKey: (min: Int64, max: Int64)] = [:]
        for location in queues {
            summary.consumeQueues += 1
            if let bound = check(location, fileSize: fileSize, into: collector, summary: &summary) {
                bounds[location.key] = bound
            }
        }
        return bounds
    }

    private struct QueueState {
        var first: BatchConsumeQueueUnit?
        var previous: BatchConsumeQueueUnit?
        var ahead: (file: String, position: Int, unit: BatchConsumeQueueUnit, count: Int)?
    }

    private func check(_ location: BatchConsumeQueueLocation, fileSize: Int64, into collector: FindingCollector,
                       summary: inout VerifySummary) -> (min: Int64, max: Int64)? {
        let key = location.key
        var state = QueueState()
        for (i, file) in location.files.enumerated() {
            let isLast = i + 1 == location.files.count
            if file.fromOffset % fileSize != 0 {
                collector.add(Finding(.repairable, "bcq.misaligned-name", file: file.relativePath, topic: key.topic,
                                      queueId: key.queueId, expected: "a multiple of \(fileSize)", found: String(file.fromOffset),
                                      "batch consume queue file name is not a multiple of the file size"))
            }
            if !isLast, location.files[i + 1].fromOffset - file.fromOffset != fileSize {
                collector.add(Finding(.repairable, "bcq.file-gap", file: file.relativePath, topic: key.topic, queueId: key.queueId,
                                      expected: SegmentFile.name(forOffset: file.fromOffset + fileSize),
                                      found: location.files[i + 1].name, "batch consume queue files are not contiguous"))
            }
            if file.size != fileSize, !(isLast && file.size == 0) {
                collector.add(Finding(.repairable, "bcq.file-size", file: file.relativePath, topic: key.topic, queueId: key.queueId,
                                      expected: String(fileSize), found: String(file.size),
                                      "batch consume queue file size differs from the file size (\(fileSize) = units of 46 bytes)"))
            }
            guard file.size > 0 else { continue }
            guard let region = try? MappedRegion(path: file.path, sequential: true) else {
                collector.add(Finding(.unreadable, "bcq.unreadable", file: file.relativePath, topic: key.topic,
                                      queueId: key.queueId, "cannot read"))
                continue
            }
            let dataEnd = Int(clamping: SparseFile.dataEnd(ofFileAt: file.path))
            region.withBytes { bytes in
                var position = 0
                while position + BatchConsumeQueueUnit.size <= min(bytes.count, dataEnd) {
                    let unit = try! BatchConsumeQueueUnit(decoding: bytes, at: position)  // in bounds
                    // The first invalid unit ends the queue's data in this file, as in recovery.
                    guard unit.isValid else {
                        if unit != BatchConsumeQueueUnit(physicalOffset: 0, size: 0, tagsCode: 0, storeTime: 0, msgBaseOffset: 0,
                                                         batchSize: 0, compactedOffset: 0) {
                            collector.add(Finding(
                                .repairable, "bcq.invalid-unit", file: file.relativePath, position: Int64(position),
                                physicalOffset: unit.physicalOffset, topic: key.topic, queueId: key.queueId,
                                found: "offset \(unit.physicalOffset), size \(unit.size), base \(unit.msgBaseOffset), batchSize \(unit.batchSize)",
                                "invalid unit (offset < 0, size <= 0, base < 0 or batchSize <= 0): recovery stops here"))
                        }
                        break
                    }
                    summary.consumeQueueUnits += 1
                    check(unit, file: file, position: position, key: key, state: &state, into: collector)
                    position += BatchConsumeQueueUnit.size
                }
            }
        }
        if let ahead = state.ahead {
            collector.add(Finding(
                .repairable, "bcq.ahead-of-log", file: ahead.file, position: Int64(ahead.position),
                physicalOffset: ahead.unit.physicalOffset, topic: key.topic, queueId: key.queueId,
                queueOffset: ahead.unit.msgBaseOffset, expected: "< \(facts.endOffset)", found: String(ahead.unit.physicalOffset),
                "\(ahead.count) unit(s) from here point at or past the end of the log (\(facts.endOffset))"))
        }
        let start = state.first?.msgBaseOffset
        let end = state.previous?.nextBaseOffset
        if let run = facts.queues[key] {
            if let start, run.firstQueueOffset < start {
                collector.add(Finding(
                    .repairable, "bcq.missing-head", file: location.files.first?.relativePath ?? location.directory,
                    physicalOffset: run.firstPhysicalOffset, topic: key.topic, queueId: key.queueId, queueOffset: run.firstQueueOffset,
                    expected: String(run.firstQueueOffset), found: String(start),
                    "the batch consume queue starts at queue offset \(start) but the log still holds this queue's messages from \(run.firstQueueOffset) (first at physical offset \(run.firstPhysicalOffset))"))
            }
            if (end ?? 0) < run.nextQueueOffset {
                collector.add(Finding(
                    .repairable, "bcq.behind-log", file: location.directory, topic: key.topic, queueId: key.queueId,
                    queueOffset: end ?? 0, expected: String(run.nextQueueOffset), found: String(end ?? 0),
                    "batch consume queue is behind the log: dispatched messages up to queue offset \(run.nextQueueOffset - 1) have no unit"))
            }
        }
        guard let start, let end else { return nil }
        return (start, end)
    }

    private func check(_ unit: BatchConsumeQueueUnit, file: BatchConsumeQueueLocation.File, position: Int, key: VerifyQueueKey,
                       state: inout QueueState, into collector: FindingCollector) {
        func finding(_ code: String, expected: String?, found: String?, _ message: String) -> Finding {
            Finding(.repairable, code, file: file.relativePath, position: Int64(position), physicalOffset: unit.physicalOffset,
                    topic: key.topic, queueId: key.queueId, queueOffset: unit.msgBaseOffset, expected: expected, found: found, message)
        }
        if let previous = state.previous {
            if unit.msgBaseOffset != previous.nextBaseOffset {
                collector.add(finding("bcq.base-gap", expected: String(previous.nextBaseOffset), found: String(unit.msgBaseOffset),
                                      "msgBaseOffset does not follow the previous unit's base + batchSize"))
            }
            if unit.physicalOffset <= previous.physicalOffset {
                collector.add(finding("bcq.offset-not-increasing", expected: "> \(previous.physicalOffset)",
                                      found: String(unit.physicalOffset), "physical offsets must increase within a queue"))
            }
        } else {
            state.first = unit
        }
        state.previous = unit
        let result: Finding? = facts.map.withRecord(at: unit.physicalOffset) { lookup in
            switch lookup {
            case .belowMin:
                return nil
            case .beyondEnd:
                if state.ahead == nil { state.ahead = (file.relativePath, position, unit, 0) }
                state.ahead!.count += 1
                return nil
            case .damaged:
                var info = finding("bcq.points-at-damaged-record", expected: nil, found: nil,
                                   "unit points at a record that fails its checks (reported with the commitlog)")
                info.severity = .info
                return info
            case .noFile, .notARecord:
                return finding("bcq.no-record", expected: nil, found: nil, "unit points at an offset where no valid record starts")
            case .record(let record):
                return Self.mismatch(unit, record: record, key: key, delayLevels: delayLevels).map {
                    finding("bcq.unit-mismatch", expected: $0.expected, found: $0.found,
                            "unit does not match the record it points at (\($0.fields)); expected = unit/queue, found = record")
                }
            }
        }
        if let result { collector.add(result) }
    }

    /// How a unit and the record it names disagree (nil: they agree).
    static func mismatch(_ unit: BatchConsumeQueueUnit, record: MessageRecordView, key: VerifyQueueKey, delayLevels: DelayLevelTable)
        -> (fields: String, expected: String, found: String)? {
        var problems: [(String, String, String)] = []
        if record.totalSize != unit.size { problems.append(("size", String(unit.size), String(record.totalSize))) }
        if !record.topicBytes.elementsEqual(key.topic.utf8) { problems.append(("topic", key.topic, record.topic)) }
        if record.queueId != key.queueId { problems.append(("queueId", String(key.queueId), String(record.queueId))) }
        if record.queueOffset != unit.msgBaseOffset {
            problems.append(("queueOffset", String(unit.msgBaseOffset), String(record.queueOffset)))
        }
        if !record.transactionType.isDispatchedToConsumeQueue {
            problems.append(("transactionType", "not or commit", record.transactionType.name))
        }
        // §14.2: an inner batch record covers INNER_NUM queue offsets; any other record one.
        if record.flags.contains(.innerBatch) {
            let innerNum = record.property("INNER_NUM")
            if innerNum.flatMap({ Int64($0) }) != Int64(unit.batchSize) {
                problems.append(("INNER_NUM", String(unit.batchSize), innerNum ?? "absent"))
            }
        } else if unit.batchSize != 1 {
            problems.append(("batchSize", String(unit.batchSize), "1 (not an inner batch record)"))
        }
        if !ConsumeQueueUnit.isExtAddress(unit.tagsCode) {
            let tags = record.tagsCode(delayLevels: delayLevels)
            if tags != unit.tagsCode { problems.append(("tagsCode", String(unit.tagsCode), String(tags))) }
        }
        if record.storeTimestamp != unit.storeTime {
            problems.append(("storeTime", String(unit.storeTime), String(record.storeTimestamp)))
        }
        guard !problems.isEmpty else { return nil }
        return (problems.map(\.0).joined(separator: ", "), problems.map { "\($0.0)=\($0.1)" }.joined(separator: " "),
                problems.map { "\($0.0)=\($0.2)" }.joined(separator: " "))
    }
}
