import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import Testing
import TestSupport

/// A consume queue that lost its head file while the log still holds the messages it covered
/// (`cq.missing-head`), and no false alarm on a store whose head files expired the way RocketMQ
/// expires them (a CQ file goes only once all its units point below the commitlog min offset).
/// Queue contents come from the fixtures' expected/consumequeue.ndjson.
@Suite struct VerifyMissingHeadTests {
    struct Unit {
        var topic: String
        var queueId: Int32
        var file: String
        var queueOffset: Int64
        var commitLogOffset: Int64
    }

    /// queue directory ("consumequeue/T/Q") → its units in order.
    static func queues(_ scenario: String) throws -> [String: [Unit]] {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "consumequeue.ndjson"), encoding: .utf8)
        var file = ""
        var result: [String: [Unit]] = [:]
        for line in text.split(separator: "\n") {
            let json = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            let topic = json["topic"] as? String ?? ""
            let queueId = (json["queueId"] as? NSNumber)?.int32Value ?? 0
            switch json["type"] as? String {
            case "file": file = json["file"] as! String
            case "unit":
                result["consumequeue/\(topic)/\(queueId)", default: []].append(Unit(
                    topic: topic, queueId: queueId, file: file, queueOffset: (json["queueOffset"] as! NSNumber).int64Value,
                    commitLogOffset: (json["commitLogOffset"] as! NSNumber).int64Value))
            default: break
            }
        }
        return result
    }

    static func verify(_ store: String, _ scenario: String) throws -> (VerifySummary, [Finding]) {
        var findings: [Finding] = []
        let summary = try StoreVerifier.verify(
            store, storeOptions: try RepairFixtures.storeOptions(scenario),
            options: VerifyOptions(areas: [.commitlog, .consumequeue], lockHeld: false)) { findings.append($0) }
        return (summary, findings)
    }

    static let head = "00000000000000000000"

    @Test(arguments: ["rocketmq-4.9.8/sync_flush", "rocketmq-4.9.8/ipv6_compressed_batch"])
    func deletedHeadFileIsReported(_ scenario: String) throws {
        let queues = try Self.queues(scenario)
        let fileSize = try #require(RepairFixtures.storeConfig(scenario)["mappedFileSizeConsumeQueue"] as? Int)
        for (directory, units) in queues.sorted(by: { $0.key < $1.key }) where units.first?.file == Self.head {
            let hasNext = Set(units.map(\.file)).count > 1
            let store = try RepairFixtures.copy(scenario)
            defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
            try FileManager.default.removeItem(atPath: "\(store)/\(directory)/\(Self.head)")
            if !hasNext {
                // The next file exists but holds no unit yet: the queue has no unit at all.
                FileManager.default.createFile(atPath: "\(store)/\(directory)/\(SegmentFile.name(forOffset: Int64(fileSize)))",
                                               contents: Data(count: fileSize))
            }
            let (summary, findings) = try Self.verify(store, scenario)
            let head = findings.filter { $0.code == "cq.missing-head" }
            #expect(head.count == 1, "\(directory): \(findings)")
            let finding = try #require(head.first)
            #expect(finding.file == "\(directory)/\(Self.head)")
            #expect(finding.severity == .repairable)
            #expect(finding.queueOffset == units[0].queueOffset)
            #expect(finding.physicalOffset == units[0].commitLogOffset)
            let lastLost = units.filter { $0.file == Self.head }.last!.queueOffset
            #expect(finding.message.contains("queue offsets \(units[0].queueOffset)...\(lastLost)"), "\(finding.message)")
            #expect(summary.verdict == .repairable)
        }
    }

    @Test func deletedQueueDirectoryIsReported() throws {
        let scenario = "rocketmq-4.9.8/sync_flush"
        let units = try #require(try Self.queues(scenario)["consumequeue/TopicB/1"])
        let store = try RepairFixtures.copy(scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        try FileManager.default.removeItem(atPath: store + "/consumequeue/TopicB/1")
        let (summary, findings) = try Self.verify(store, scenario)
        let missing = findings.filter { $0.code == "cq.missing-queue" }
        #expect(missing.count == 1)
        #expect(missing.first?.file == "consumequeue/TopicB/1")
        #expect(missing.first?.physicalOffset == units[0].commitLogOffset)
        #expect(missing.first?.expected == "\(units.count) units")
        #expect(summary.verdict == .repairable)
    }

    /// Expiry as RocketMQ does it: the head commitlog files go, then every consume queue file
    /// whose last unit points below the new commitlog min offset (deleteExpiredFile).
    @Test func expiredHeadFilesAreNotReported() throws {
        let scenario = "rocketmq-4.9.8/sync_flush"
        let queues = try Self.queues(scenario)
        let store = try RepairFixtures.copy(scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let logFiles = try FileManager.default.contentsOfDirectory(atPath: store + "/commitlog").sorted()
        // The first commitlog file start past which some queue loses a head file but keeps a later one.
        func lastOffsets(_ units: [Unit]) -> [Int64] {
            Array(Set(units.map(\.file))).sorted().map { file in units.filter { $0.file == file }.last!.commitLogOffset }
        }
        let minOffset = try #require(logFiles.compactMap { Int64($0) }.first { start in
            queues.values.contains { units in
                let lasts = lastOffsets(units)
                return lasts.first! < start && lasts.last! >= start
            }
        })
        for name in logFiles where Int64(name)! < minOffset {
            try FileManager.default.removeItem(atPath: store + "/commitlog/" + name)
        }
        var deleted = 0, keptAfterDeleted = 0
        for (directory, units) in queues {
            let files = Array(Set(units.map(\.file))).sorted()
            var removedHere = false
            for file in files {
                let last = units.filter { $0.file == file }.last!.commitLogOffset
                if last < minOffset {
                    try FileManager.default.removeItem(atPath: "\(store)/\(directory)/\(file)")
                    deleted += 1
                    removedHere = true
                } else if removedHere {
                    keptAfterDeleted += 1
                }
            }
        }
        // The scenario must exercise both: head files gone, and a queue living on after one.
        #expect(deleted > 0 && keptAfterDeleted > 0)
        let (_, findings) = try Self.verify(store, scenario)
        let queueAlarms = findings.filter { $0.code.hasPrefix("cq.") && $0.severity > .info }
        #expect(queueAlarms.isEmpty, "\(queueAlarms)")
    }
}
