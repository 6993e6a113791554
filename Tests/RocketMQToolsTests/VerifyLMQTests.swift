import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import Testing

/// LMQ queues (FORMAT.md §7.2, §18 item 14): a record of topic T also has units in
/// `consumequeue/%LMQ%x/0` at the offsets listed in INNER_MULTI_QUEUE_OFFSET. No fixture uses
/// LMQ, so the store is built here by that rule: the units of those queues must verify clean
/// (and be proven by the digest), and a wrong LMQ unit must be found.
@Suite struct VerifyLMQTests {
    static let lmqA = "%LMQ%orders", lmqB = "%LMQ%audit"

    /// Commitlog of `count` records of LMQTopic/0; every record goes to lmqA, every other to lmqB.
    static func store(count: Int) throws -> String {
        let root = NSTemporaryDirectory() + "verify-lmq-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/commitlog", withIntermediateDirectories: true)
        var log = [UInt8](repeating: 0, count: 65536)
        var units: [String: [UInt8]] = ["LMQTopic": [], lmqA: [], lmqB: []]
        var position = 0
        var nextB: Int64 = 0
        for i in 0..<count {
            var names = [lmqA], offsets = [String(i)]
            if i % 2 == 0 {
                names.append(lmqB)
                offsets.append(String(nextB))
                nextB += 1
            }
            let properties = MessageProperties.encode([
                (key: "TAGS", value: "tag\(i % 3)"),
                (key: "INNER_MULTI_DISPATCH", value: names.joined(separator: ",")),
                (key: "INNER_MULTI_QUEUE_OFFSET", value: offsets.joined(separator: ",")),
            ])
            let record = MessageRecord(
                queueId: 0, queueOffset: Int64(i), physicalOffset: Int64(position), bornTimestamp: 1_700_000_000_000 + Int64(i),
                bornHost: HostAddress(address: [10, 0, 0, 7], port: 5000), storeTimestamp: 1_700_000_000_100 + Int64(i),
                storeHost: HostAddress(address: [10, 0, 0, 1], port: 10911), body: Array("lmq body \(i)".utf8),
                topic: "LMQTopic", properties: properties)
            let bytes = try record.encode()
            log.replaceSubrange(position..<(position + bytes.count), with: bytes)
            let tagsCode = Int64(JavaString.hashCode("tag\(i % 3)"))
            let unit = ConsumeQueueUnit(physicalOffset: Int64(position), size: Int32(bytes.count), tagsCode: tagsCode).encoded()
            for name in ["LMQTopic"] + names { units[name]! += unit }
            position += bytes.count
        }
        fm.createFile(atPath: root + "/commitlog/00000000000000000000", contents: Data(log))
        for (topic, bytes) in units {
            try fm.createDirectory(atPath: root + "/consumequeue/\(topic)/0", withIntermediateDirectories: true)
            fm.createFile(atPath: root + "/consumequeue/\(topic)/0/00000000000000000000",
                          contents: Data(bytes + [UInt8](repeating: 0, count: 6000 - bytes.count)))
        }
        return root
    }

    static func verify(_ root: String) throws -> [Finding] {
        var findings: [Finding] = []
        var options = VerifyOptions(areas: [.commitlog, .consumequeue], lockHeld: false)
        options.chunkSize = 4096
        _ = try StoreVerifier.verify(root, storeOptions: StoreOptions(mappedFileSizeConsumeQueue: 6000), options: options) {
            findings.append($0)
        }
        return findings
    }

    @Test func lmqQueuesVerifyCleanAndAreProvenByTheDigest() throws {
        let root = try Self.store(count: 40)
        defer { try? FileManager.default.removeItem(atPath: root) }
        #expect(try Self.verify(root).isEmpty)
        let layout = try StoreLayout.discover(root, options: StoreOptions(mappedFileSizeConsumeQueue: 6000))
        let facts = VerifyDigestTests.facts(layout)
        for location in layout.consumeQueues {
            let key = VerifyQueueKey(topic: location.topic, queueId: location.queueId)
            #expect(ConsumeQueueVerifier.digestMatches(location, run: facts.queues[key], facts: facts), "\(key.topic)")
        }
    }

    @Test func wrongLMQUnitIsFound() throws {
        let root = try Self.store(count: 40)
        defer { try? FileManager.default.removeItem(atPath: root) }
        // Unit 3 of %LMQ%audit names record 8's offset; make it point at record 7 (not in that queue).
        let layout = try StoreLayout.discover(root, options: StoreOptions(mappedFileSizeConsumeQueue: 6000))
        let main = try #require(layout.consumeQueues.first { $0.topic == "LMQTopic" })
        let audit = try #require(layout.consumeQueues.first { $0.topic == Self.lmqB })
        let mainBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: main.files[0].path)))
        var auditBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: audit.files[0].path)))
        auditBytes.replaceSubrange(60..<80, with: mainBytes[140..<160])  // audit unit 3 := main unit 7
        try Data(auditBytes).write(to: URL(fileURLWithPath: audit.files[0].path))
        let findings = try Self.verify(root)
        #expect(findings.contains { $0.code == "cq.unit-mismatch" && $0.topic == Self.lmqB && $0.position == 60 })
    }
}
