// salvage's queue-offset gaps: by default the lost record's queue keeps its gap and verify
// reports it once (cq.queue-offset-gap); with `renumber` the queue is contiguous again, verify is
// clean, every kept record is byte-identical but for QUEUEOFFSET/PHYSICALOFFSET, and committed
// consumer/delay offsets move down by the lost offsets below them.

import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

@Suite struct SalvageRenumberTests {
    static let scenario = "rocketmq-4.9.8/corrupt_b_crc_flip_middle"

    struct SourceRecord {
        var topic: String
        var queueId: Int32
        var queueOffset: Int64
        var physicalOffset: Int64
        var transactionType: TransactionType
        var bytes: [UInt8]
    }

    /// Every record of `root` that passes its checks, in log order.
    static func records(_ root: String, options: StoreOptions) throws -> [SourceRecord] {
        var result: [SourceRecord] = []
        try CommitLogWalker(layout: StoreLayout.discover(root, options: options)).walk { event in
            if case .message(_, let record) = event, record.check.success {
                result.append(SourceRecord(topic: record.topic, queueId: record.queueId, queueOffset: record.queueOffset,
                                           physicalOffset: record.physicalOffset, transactionType: record.transactionType,
                                           bytes: Array(record.bytes)))
            }
            return .proceed
        }
        return result
    }

    /// Every record of the undamaged fixture `scenario` was derived from (its expected/messages.ndjson
    /// lists the whole log; the damaged one's stops where RocketMQ's walk does), with its bytes
    /// read from `scenario`'s commitlog.
    static func fixtureRecords(_ scenario: String) throws -> [SourceRecord] {
        let scenarioJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/" + scenario + "/scenario.json"))) as? [String: Any]
        let base = "rocketmq-4.9.8/" + (try #require(scenarioJSON?["derivedFrom"] as? String))
        let text = try String(contentsOfFile: Fixtures.expected(base, "messages.ndjson"), encoding: .utf8)
        var result: [SourceRecord] = []
        for line in text.split(separator: "\n") {
            guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], json["type"] as? String == "msg",
                  (json["storeCheck"] as? [String: Any])?["success"] as? Bool == true else { continue }
            func int(_ key: String) throws -> Int64 { try #require((json[key] as? NSNumber)?.int64Value) }
            let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.store(scenario) + "/commitlog/" + (try #require(json["file"] as? String))))
            let position = Int(try int("filePos"))
            result.append(SourceRecord(
                topic: try #require(json["topic"] as? String), queueId: Int32(try int("queueId")), queueOffset: try int("queueOffset"),
                physicalOffset: try int("physicalOffset"), transactionType: TransactionType(rawValue: Int32(try int("sysFlag")) & 0xC)!,
                bytes: [UInt8](data[position..<(position + Int(try int("totalSize")))])))
        }
        return result
    }

    static func temporaryOutput() -> String {
        ScratchDirectory.reserve("rmqstore-salvage")
    }

    static func findings(_ root: String, options: StoreOptions) throws -> (VerifySummary, [Finding]) {
        var findings: [Finding] = []
        let summary = StoreVerifier(layout: try StoreLayout.discover(root, options: options), options: VerifyOptions(lockHeld: false))
            .run { findings.append($0) }
        return (summary, findings)
    }

    /// The fixture's damaged record (the one RocketMQ's abnormal recovery stops at), as listed in
    /// expected/messages.ndjson.
    static func lostRecord() throws -> (topic: String, queueId: Int32, queueOffset: Int64, physicalOffset: Int64) {
        let abnormal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, "recovery_abnormal.json")))) as? [String: Any]
        let cut = try #require(((abnormal?["afterLoad"] as? [String: Any])?["commitLogMaxOffset"] as? NSNumber)?.int64Value)
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], json["type"] as? String == "msg",
                  (json["physicalOffset"] as? NSNumber)?.int64Value == cut else { continue }
            return (try #require(json["topic"] as? String), try #require((json["queueId"] as? NSNumber)?.int32Value),
                    try #require((json["queueOffset"] as? NSNumber)?.int64Value), cut)
        }
        throw FixtureMissing()
    }

    struct FixtureMissing: Error {}

    static func describe(_ gap: StoreSalvager.QueueGap) -> String { "\(gap.topic)/\(gap.queueId) [\(gap.from), \(gap.to))" }

    @Test func defaultModeKeepsTheGapAndVerifyReportsItOnce() throws {
        let options = try RepairFixtures.storeOptions(Self.scenario)
        let lost = try Self.lostRecord()
        let output = Self.temporaryOutput()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let report = try StoreSalvager(layout: StoreLayout.discover(Fixtures.store(Self.scenario), options: options), output: output).run()
        #expect(report.gaps.map(Self.describe) == ["\(lost.topic)/\(lost.queueId) [\(lost.queueOffset), \(lost.queueOffset + 1))"])
        #expect(report.renumbered.isEmpty)

        // The record after the gap, where the collapse shows.
        let kept = try Self.records(output, options: options)
        let next = try #require(kept.first { $0.topic == lost.topic && $0.queueId == lost.queueId && $0.queueOffset == lost.queueOffset + 1 })
        let (summary, findings) = try Self.findings(output, options: options)
        #expect(summary.verdict == .repairable)
        let serious = findings.filter { $0.severity > .info }
        #expect(serious.count == 1, "\(serious)")
        let gap = try #require(serious.first)
        #expect(gap.code == "cq.queue-offset-gap")
        #expect(gap.topic == lost.topic && gap.queueId == lost.queueId)
        #expect(gap.file == "consumequeue/\(lost.topic)/\(lost.queueId)/00000000000000000000")
        #expect(gap.position == lost.queueOffset * Int64(ConsumeQueueUnit.size))
        #expect(gap.physicalOffset == next.physicalOffset)
        #expect(gap.expected == "queueOffset=\(lost.queueOffset)" && gap.found == "queueOffset=\(lost.queueOffset + 1)")
        // Besides it, only the log pass's note on the same jump.
        let notes = findings.filter { $0.severity == .info }
        #expect(notes.map(\.code) == ["log.queue-offset-gap"])
        #expect(notes.first?.physicalOffset == next.physicalOffset)
    }

    @Test func renumberMakesQueuesContiguousAndChangesNothingElse() throws {
        let options = try RepairFixtures.storeOptions(Self.scenario)
        let lost = try Self.lostRecord()
        let output = Self.temporaryOutput()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let report = try StoreSalvager(layout: StoreLayout.discover(Fixtures.store(Self.scenario), options: options), output: output,
                                       renumber: true).run()
        #expect(report.gaps.count == 1)

        let (summary, findings) = try Self.findings(output, options: options)
        #expect(summary.verdict == .clean)
        #expect(findings.isEmpty, "\(findings)")

        // Kept records in log order, each the source record with only QUEUEOFFSET (lowered by
        // one above the lost offset of its queue) and PHYSICALOFFSET changed.
        let source = try Self.fixtureRecords(Self.scenario).filter { $0.physicalOffset != lost.physicalOffset }
        let kept = try Self.records(output, options: options)
        try #require(source.count == kept.count)
        var renumbered = 0
        var nextInQueue: [String: Int64] = [:]
        for (old, new) in zip(source, kept) {
            var expected = old.queueOffset
            if old.topic == lost.topic, old.queueId == lost.queueId, old.queueOffset > lost.queueOffset { expected -= 1 }
            #expect(new.queueOffset == expected)
            if expected != old.queueOffset { renumbered += 1 }
            var masked = old.bytes, maskedNew = new.bytes
            masked.replaceSubrange(20..<36, with: [UInt8](repeating: 0, count: 16))
            maskedNew.replaceSubrange(20..<36, with: [UInt8](repeating: 0, count: 16))
            #expect(masked == maskedNew, "record at \(old.physicalOffset) changed beyond QUEUEOFFSET/PHYSICALOFFSET")
            if new.transactionType.isDispatchedToConsumeQueue {
                let key = "\(new.topic)/\(new.queueId)"
                if let next = nextInQueue[key] { #expect(new.queueOffset == next, "\(key) is not contiguous at \(new.physicalOffset)") }
                nextInQueue[key] = new.queueOffset + 1
            }
        }
        let sourceNext = source.filter { $0.topic == lost.topic && $0.queueId == lost.queueId }.map(\.queueOffset).max()! + 1
        let queueRecords = kept.filter { $0.topic == lost.topic && $0.queueId == lost.queueId }
        #expect(report.renumbered.map { "\($0.topic)/\($0.queueId) first \($0.firstQueueOffset) \($0.renumbered)/\($0.records) [\($0.sourceNextQueueOffset) -> \($0.nextQueueOffset))" }
            == ["\(lost.topic)/\(lost.queueId) first \(queueRecords.first!.queueOffset) \(renumbered)/\(queueRecords.count) [\(sourceNext) -> \(sourceNext - 1))"])
    }

    /// consumerOffset.json and delayOffset.json follow the renumbered queues: each committed
    /// offset is lowered by the number of lost offsets below it.
    @Test func renumberMovesCommittedOffsets() throws {
        let scenario = "rocketmq-4.9.8/delayed"
        let options = try RepairFixtures.storeOptions(scenario)
        let store = try RepairFixtures.copy(scenario)
        defer { try? FileManager.default.removeItem(atPath: store + "/..") }
        let records = try Self.records(store, options: options)
        // Damage (body CRC) records in the middle of TopicC/0 (two) and SCHEDULE_TOPIC_XXXX/0 (one).
        var lost: [(topic: String, queueId: Int32, queueOffset: Int64)] = []
        let victims = [("TopicC", Int32(0), 2), ("TopicC", Int32(0), 6), ("SCHEDULE_TOPIC_XXXX", Int32(0), 4)]
        for (topic, queueId, index) in victims {
            let candidates = records.filter { $0.topic == topic && $0.queueId == queueId && $0.bytes.count > 200 }
            let victim = try #require(candidates.dropFirst(index).first { record in
                record.bytes.withUnsafeBytes { raw in
                    if case .message(let view) = RecordDecoder.decode(raw, at: 0, options: RecordCheckOptions(checkCRC: false)) { return view.bodyLength > 0 }
                    return false
                }
            })
            #expect(!lost.contains { $0 == (topic, queueId, victim.queueOffset) })
            lost.append((topic, queueId, victim.queueOffset))
            let layout = try StoreLayout.discover(store, options: options)
            let file = try #require(layout.commitLogFiles.last { $0.fromOffset <= victim.physicalOffset })
            let handle = try #require(FileHandle(forUpdatingAtPath: file.path))
            try handle.seek(toOffset: UInt64(victim.physicalOffset - file.fromOffset + 8))
            let byte = try #require(try handle.read(upToCount: 1)).first!
            try handle.seek(toOffset: UInt64(victim.physicalOffset - file.fromOffset + 8))
            try handle.write(contentsOf: [byte ^ 0x01])
            try handle.close()
        }
        func lostBelow(_ topic: String, _ queueId: Int32, _ committed: Int64) -> Int64 {
            Int64(lost.filter { $0.topic == topic && $0.queueId == queueId && $0.queueOffset < committed }.count)
        }
        // One committed offset per consumer group: at, below and above the lost offsets.
        let committed: [(entry: String, queueId: Int32, offset: Int64)] = [
            ("TopicC@groupA", 0, 0), ("TopicC@groupB", 0, lost[0].queueOffset), ("TopicC@groupC", 0, lost[0].queueOffset + 1),
            ("TopicC@groupD", 0, lost[1].queueOffset + 2), ("TopicB@groupA", 0, 3), ("%RETRY%groupA@groupA", 0, 0),
        ]
        let members = committed.map { "\n\t\t\"\($0.entry)\":{\($0.queueId):\($0.offset)\n\t\t}" }
        try ("{\n\t\"offsetTable\":{" + members.joined(separator: ",") + "\n\t}\n}")
            .write(toFile: store + "/config/consumerOffset.json", atomically: true, encoding: .utf8)
        // With enableLmq the LMQ offset manager's file carries the normal table too.
        let lmqCommitted = lost[1].queueOffset + 1
        try "{\"lmqOffsetTable\":{\"%LMQ%q1@lmqGroup\":\(lmqCommitted)},\"offsetTable\":{\"TopicC@groupL\":{0:\(lmqCommitted)}}}"
            .write(toFile: store + "/config/lmqConsumerOffset.json", atomically: true, encoding: .utf8)
        let scheduleEnd = records.filter { $0.topic == "SCHEDULE_TOPIC_XXXX" && $0.queueId == 0 }.count
        try "{\n\t\"offsetTable\":{1:\(scheduleEnd),2:1\n\t}\n}".write(toFile: store + "/config/delayOffset.json", atomically: true, encoding: .utf8)

        let output = Self.temporaryOutput()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let report = try StoreSalvager(layout: StoreLayout.discover(store, options: options), output: output, renumber: true).run()
        #expect(report.lost.count == 3)
        #expect(Set(report.gaps.map { "\($0.topic)/\($0.queueId)/\($0.from)" }) == Set(lost.map { "\($0.topic)/\($0.queueId)/\($0.queueOffset)" }))

        let consumerBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output + "/config/consumerOffset.json")))
        let consumer = try consumerBytes.withUnsafeBytes { raw throws(FormatError) in try ConsumerOffsetTable(decoding: raw) }
        for original in committed {
            let topic = ConsumerOffsetTable.split(topicAtGroup: original.entry)!.topic
            #expect(consumer.offsetTable[original.entry]?[original.queueId] == original.offset - lostBelow(topic, original.queueId, original.offset),
                    "\(original.entry)")
        }
        let lmqBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output + "/config/lmqConsumerOffset.json")))
        let lmq = try lmqBytes.withUnsafeBytes { raw throws(FormatError) in try ConsumerOffsetTable(decoding: raw) }
        #expect(lmq.offsetTable["TopicC@groupL"]?[0] == lmqCommitted - lostBelow("TopicC", 0, lmqCommitted))
        #expect(lmq.lmqOffsetTable == ["%LMQ%q1@lmqGroup": lmqCommitted])
        let delayBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: output + "/config/delayOffset.json")))
        let delay = try delayBytes.withUnsafeBytes { raw throws(FormatError) in try DelayOffsetTable(decoding: raw) }
        #expect(delay.offsetTable == [1: Int64(scheduleEnd) - lostBelow("SCHEDULE_TOPIC_XXXX", 0, Int64(scheduleEnd)), 2: 1])
        #expect(report.offsetAdjustments.count == committed.filter { $0.offset != $0.offset - lostBelow(ConsumerOffsetTable.split(topicAtGroup: $0.entry)!.topic, $0.queueId, $0.offset) }.count + 2)

        let (_, findings) = try Self.findings(output, options: options)
        #expect(findings.filter { $0.severity > .info }.isEmpty, "\(findings)")
    }

    /// [5.x] the property CRC covers QUEUEOFFSET and PHYSICALOFFSET (FORMAT.md §4): salvage
    /// recomputes it for the records it moves and renumbers, so they still pass it.
    @Test func renumberKeepsPropertyCRCsValid() throws {
        let (root, offsets) = try VerifyPropertyCRCTests.store(count: 20)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/commitlog/00000000000000000000"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[Int(offsets[7]) + 8] ^= 0x01  // BODYCRC
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let options = StoreOptions(mappedFileSizeCommitLog: Int64(VerifyPropertyCRCTests.fileSize))
        let output = Self.temporaryOutput()
        defer { try? FileManager.default.removeItem(atPath: output) }
        let report = try StoreSalvager(layout: StoreLayout.discover(root, options: options), output: output, renumber: true).run()
        #expect(report.kept == 19)
        #expect(report.gaps.map(Self.describe) == ["PropTopic/0 [7, 8)"])
        let kept = try Self.records(output, options: options)
        #expect(kept.map(\.queueOffset) == (0..<19).map(Int64.init))
        var findings: [Finding] = []
        _ = try StoreVerifier.verify(output, options: VerifyOptions(areas: [.commitlog], lockHeld: false)) { findings.append($0) }
        #expect(findings.filter { $0.severity > .info }.isEmpty, "\(findings)")
        #expect(!findings.contains { $0.code.hasPrefix("record.property-crc") })
    }
}
