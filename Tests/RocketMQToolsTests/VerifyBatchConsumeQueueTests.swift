import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import Testing

/// [5.x] BatchConsumeQueue (FORMAT.md §7.4, §14.2, §18 item 17). No fixture has one (the 5.3.3
/// fixture has no BatchCQ topic), so the store is built here by the format's rules: a BatchCQ
/// topic's records are inner batch records (sysflag INNER_BATCH | NEED_UNWRAP, INNER_NUM inner
/// messages, QUEUEOFFSET = INNER_BASE = the base, body = the §14.1 inner messages) or normal
/// records (batchSize 1); each gets one 46-byte unit (offset, size, tagsCode, store time,
/// msgBaseOffset, batchSize, compactedOffset −1, 4 reserved bytes) in
/// `batchconsumequeue/<topic>/<queueId>/`, and no `consumequeue/` unit.
@Suite struct VerifyBatchConsumeQueueTests {
    static let topic = "BatchTopic"
    static let fileSize = 46 * 100

    struct Built {
        var root: String
        var units: [BatchConsumeQueueUnit]
        var bcqPath: String { root + "/batchconsumequeue/\(VerifyBatchConsumeQueueTests.topic)/0/00000000000000000000" }
    }

    /// §14.1 inner message: TOTALSIZE, MAGIC 0, BODYCRC 0, FLAG, BODYLEN + body, PROPLEN + properties.
    static func innerMessages(_ bodies: [String]) -> [UInt8] {
        var writer = ByteWriter(capacity: 256)
        for body in bodies {
            let properties = MessageProperties.encode([(key: "TAGS", value: "inner")])
            writer.write(Int32(20 + body.utf8.count + 2 + properties.count))
            writer.write(Int32(0))
            writer.write(Int32(0))
            writer.write(Int32(0))
            writer.write(Int32(body.utf8.count))
            writer.write(contentsOf: Array(body.utf8))
            writer.write(Int16(properties.count))
            writer.write(contentsOf: properties)
        }
        return writer.bytes
    }

    /// BatchTopic/0: an inner batch of 3, a normal record, an inner batch of 2 (queue offsets
    /// 0...5); PlainTopic/0: two normal records with ordinary consume queue units.
    static func store() throws -> Built {
        let root = NSTemporaryDirectory() + "verify-bcq-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/commitlog", withIntermediateDirectories: true)
        var log = [UInt8](repeating: 0, count: 65536)
        var units: [BatchConsumeQueueUnit] = []
        var plainUnits: [UInt8] = []
        var position = 0
        var queueOffset: Int64 = 0
        let plan: [(topic: String, inner: Int)] = [(topic, 3), ("PlainTopic", 0), (topic, 1), ("PlainTopic", 0), (topic, 2)]
        var plainOffset: Int64 = 0
        for (i, step) in plan.enumerated() {
            let storeTimestamp: Int64 = 1_700_000_000_100 + Int64(i)
            let tags = "tag\(i % 2)"
            var pairs: [(key: String, value: String)] = [(key: "TAGS", value: tags),
                                                         (key: "UNIQ_KEY", value: "0A0000070000" + String(repeating: "0", count: 19) + String(i))]
            var sysFlag: Int32 = 0
            var body = Array("plain body \(i)".utf8)
            let isBatchTopic = step.topic == topic
            if step.inner > 1 {
                sysFlag = MessageSysFlag.innerBatch.rawValue | MessageSysFlag.needUnwrap.rawValue
                pairs += [(key: "INNER_NUM", value: String(step.inner)), (key: "INNER_BASE", value: String(queueOffset))]
                body = innerMessages((0..<step.inner).map { "inner \(i).\($0)" })
            }
            let record = MessageRecord(
                queueId: 0, queueOffset: isBatchTopic ? queueOffset : plainOffset, physicalOffset: Int64(position), sysFlag: sysFlag,
                bornTimestamp: storeTimestamp - 50, bornHost: HostAddress(address: [10, 0, 0, 7], port: 5000),
                storeTimestamp: storeTimestamp, storeHost: HostAddress(address: [10, 0, 0, 1], port: 10911), body: body,
                topic: step.topic, properties: MessageProperties.encode(pairs))
            let bytes = try record.encode()
            log.replaceSubrange(position..<(position + bytes.count), with: bytes)
            let tagsCode = Int64(JavaString.hashCode(tags))
            if isBatchTopic {
                let batchSize = max(1, step.inner)
                units.append(BatchConsumeQueueUnit(physicalOffset: Int64(position), size: Int32(bytes.count), tagsCode: tagsCode,
                                                   storeTime: storeTimestamp, msgBaseOffset: queueOffset, batchSize: Int16(batchSize)))
                queueOffset += Int64(batchSize)
            } else {
                plainUnits += ConsumeQueueUnit(physicalOffset: Int64(position), size: Int32(bytes.count), tagsCode: tagsCode).encoded()
                plainOffset += 1
            }
            position += bytes.count
        }
        fm.createFile(atPath: root + "/commitlog/00000000000000000000", contents: Data(log))
        try fm.createDirectory(atPath: root + "/consumequeue/PlainTopic/0", withIntermediateDirectories: true)
        fm.createFile(atPath: root + "/consumequeue/PlainTopic/0/00000000000000000000",
                      contents: Data(plainUnits + [UInt8](repeating: 0, count: 6000 - plainUnits.count)))
        let built = Built(root: root, units: units)
        try fm.createDirectory(atPath: (built.bcqPath as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try writeUnits(units, to: built.bcqPath)
        return built
    }

    static func writeUnits(_ units: [BatchConsumeQueueUnit], to path: String) throws {
        let bytes = units.flatMap { $0.encoded() }
        try Data(bytes + [UInt8](repeating: 0, count: fileSize - bytes.count)).write(to: URL(fileURLWithPath: path))
    }

    static func verify(_ root: String) throws -> (VerifySummary, [Finding]) {
        var findings: [Finding] = []
        let summary = try StoreVerifier.verify(
            root, storeOptions: StoreOptions(mappedFileSizeCommitLog: 65536, mappedFileSizeConsumeQueue: 6000),
            options: VerifyOptions(areas: [.commitlog, .consumequeue], lockHeld: false)) { findings.append($0) }
        return (summary, findings)
    }

    @Test func unitEncodingIsTheFormatsLayout() throws {
        let unit = BatchConsumeQueueUnit(physicalOffset: 0x0102, size: 0x0304, tagsCode: -2, storeTime: 0x0506,
                                         msgBaseOffset: 0x0708, batchSize: 0x090A)
        let bytes = unit.encoded()
        #expect(bytes.count == 46)
        #expect(Array(bytes[0..<8]) == [0, 0, 0, 0, 0, 0, 1, 2])
        #expect(Array(bytes[8..<12]) == [0, 0, 3, 4])
        #expect(Array(bytes[12..<20]) == [0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFE])
        #expect(Array(bytes[20..<28]) == [0, 0, 0, 0, 0, 0, 5, 6])
        #expect(Array(bytes[28..<36]) == [0, 0, 0, 0, 0, 0, 7, 8])
        #expect(Array(bytes[36..<38]) == [9, 10])
        #expect(Array(bytes[38..<42]) == [0xFF, 0xFF, 0xFF, 0xFF])
        #expect(Array(bytes[42..<46]) == [0, 0, 0, 0])
        let decoded = try bytes.withUnsafeBytes { try BatchConsumeQueueUnit(decoding: $0, at: 0) }
        #expect(decoded == unit)
    }

    @Test func builtStoreVerifiesClean() throws {
        let built = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: built.root) }
        #expect(built.units.map(\.batchSize) == [3, 1, 2])
        let (summary, findings) = try Self.verify(built.root)
        #expect(findings.isEmpty, "\(findings)")
        #expect(summary.verdict == .clean)
        #expect(summary.consumeQueues == 2)
        #expect(summary.consumeQueueUnits == 5)
    }

    @Test func baseGapIsReported() throws {
        let built = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: built.root) }
        var units = built.units
        units[1].msgBaseOffset += 1
        try Self.writeUnits(units, to: built.bcqPath)
        let (summary, findings) = try Self.verify(built.root)
        let relative = "batchconsumequeue/BatchTopic/0/00000000000000000000"
        #expect(findings.contains { $0.code == "bcq.base-gap" && $0.file == relative && $0.position == 46 && $0.expected == "3" && $0.found == "4" })
        // The next unit no longer follows either, and the record's QUEUEOFFSET is not the base.
        #expect(findings.contains { $0.code == "bcq.base-gap" && $0.position == 92 && $0.expected == "5" && $0.found == "4" })
        #expect(findings.contains { $0.code == "bcq.unit-mismatch" && $0.position == 46 && $0.expected == "queueOffset=4" && $0.found == "queueOffset=3" })
        #expect(summary.verdict == .repairable)
    }

    @Test func batchSizeMustMatchInnerNum() throws {
        let built = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: built.root) }
        var units = built.units
        units[2].batchSize = 3  // INNER_NUM is 2
        units[1].batchSize = 2  // a normal record: 1
        units[2].msgBaseOffset = 5
        try Self.writeUnits(units, to: built.bcqPath)
        let (_, findings) = try Self.verify(built.root)
        let mismatches = findings.filter { $0.code == "bcq.unit-mismatch" }
        #expect(mismatches.contains { $0.position == 92 && $0.expected == "queueOffset=5 INNER_NUM=3" && $0.found == "queueOffset=4 INNER_NUM=2" },
                "\(mismatches)")
        #expect(mismatches.contains { $0.position == 46 && $0.expected == "batchSize=2" })
        // The log holds queue offsets up to 5; the queue now claims up to 7.
        #expect(!findings.contains { $0.code == "bcq.behind-log" })
    }

    @Test func offsetsNotIncreasingAndBehindLogAreReported() throws {
        let built = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: built.root) }
        var units = built.units
        units[1].physicalOffset = units[0].physicalOffset
        try Self.writeUnits(Array(units.prefix(2)), to: built.bcqPath)
        let (_, findings) = try Self.verify(built.root)
        #expect(findings.contains { $0.code == "bcq.offset-not-increasing" && $0.position == 46 })
        #expect(findings.contains { $0.code == "bcq.behind-log" && $0.expected == "6" && $0.found == "4" }, "\(findings)")
    }

    /// consumerOffset.json offsets of a batch queue are judged against its [min, max) queue
    /// offsets, with or without the consume queue checks selected.
    @Test(arguments: [false, true])
    func consumerOffsetsOfABatchQueue(_ withQueues: Bool) throws {
        let built = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: built.root) }
        try FileManager.default.createDirectory(atPath: built.root + "/config", withIntermediateDirectories: true)
        let json = #"{"offsetTable":{"BatchTopic@GroupA":{0:6},"BatchTopic@GroupB":{0:7}}}"#
        try Data(json.utf8).write(to: URL(fileURLWithPath: built.root + "/config/consumerOffset.json"))
        var findings: [Finding] = []
        _ = try StoreVerifier.verify(
            built.root, storeOptions: StoreOptions(mappedFileSizeCommitLog: 65536, mappedFileSizeConsumeQueue: 6000),
            options: VerifyOptions(areas: withQueues ? [.consumequeue, .config] : [.config], lockHeld: false)) { findings.append($0) }
        let offsets = findings.filter { $0.code == "config.consumer-offset-out-of-range" }
        #expect(offsets.count == 1, "\(findings)")
        #expect(offsets.first?.queueOffset == 7 && offsets.first?.expected == "0...6")
    }

    @Test func missingBatchQueueIsAMissingQueue() throws {
        let built = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: built.root) }
        try FileManager.default.removeItem(atPath: built.root + "/batchconsumequeue")
        let (_, findings) = try Self.verify(built.root)
        #expect(findings.contains { $0.code == "cq.missing-queue" && $0.topic == Self.topic && $0.expected == "3 units" }, "\(findings)")
    }
}
