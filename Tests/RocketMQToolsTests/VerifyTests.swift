import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import Testing
import TestSupport

/// `verify` on every fixture: no false alarms on clean stores, the right verdict and a finding at
/// the exact offsets of each corruption, and seeded damage on temp copies.
@Suite struct VerifyTests {
    static let cleanFixtures = [
        "rocketmq-4.9.8/basic", "rocketmq-4.9.8/ipv6_compressed_batch", "rocketmq-4.9.8/delayed",
        "rocketmq-4.9.8/transaction", "rocketmq-4.9.8/sync_flush", "rocketmq-4.9.8/corrupt_base",
        "rocketmq-5.3.3/v5_basic",
    ]

    static func verify(_ root: String, lockHeld: Bool = false, jobs: Int = 1) throws -> (VerifySummary, [Finding]) {
        var findings: [Finding] = []
        let summary = try StoreVerifier.verify(root, options: VerifyOptions(jobs: jobs, lockHeld: lockHeld)) { findings.append($0) }
        return (summary, findings)
    }

    static func corruption(_ scenario: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.root)/\(scenario)/scenario.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return json["corruption"] as? [String: Any] ?? [:]
    }

    static func int64(_ value: Any?) -> Int64 { (value as! NSNumber).int64Value }

    @Test(arguments: cleanFixtures)
    func cleanFixtureHasNoFindings(_ scenario: String) throws {
        for jobs in [1, 3] {
            let (summary, findings) = try Self.verify(Fixtures.store(scenario), jobs: jobs)
            let alarms = findings.filter { $0.severity > .info }
            #expect(alarms.isEmpty, "\(scenario): \(alarms)")
            #expect(summary.verdict == .clean)
            #expect(summary.exitCode == 0)
            #expect(summary.records > 0)
        }
    }

    @Test func tornTailZeroed() throws {
        let scenario = "rocketmq-4.9.8/corrupt_a_torn_tail_zeroed"
        let offset = Self.int64(try Self.corruption(scenario)["lastMessagePhysicalOffset"])
        let (summary, findings) = try Self.verify(Fixtures.store(scenario))
        #expect(summary.verdict == .repairable)
        #expect(findings.contains { $0.code == "record.torn-tail" && $0.physicalOffset == offset && $0.severity == .repairable })
        // With a live broker holding the lock, the same tail is a write in progress.
        let (live, liveFindings) = try Self.verify(Fixtures.store(scenario), lockHeld: true)
        #expect(liveFindings.contains { $0.code == "record.tail-in-progress" && $0.physicalOffset == offset && $0.severity == .info })
        #expect(!liveFindings.contains { $0.code.hasPrefix("record.") && $0.severity > .info })
        #expect(live.verdict == .clean, "\(liveFindings)")
    }

    @Test func tornFileTruncated() throws {
        let scenario = "rocketmq-4.9.8/corrupt_a2_torn_file_truncated"
        let corruption = try Self.corruption(scenario)
        let file = "commitlog/" + (corruption["file"] as! String)
        let length = Self.int64(corruption["truncatedToFileLength"])
        let (summary, findings) = try Self.verify(Fixtures.store(scenario))
        #expect(summary.verdict == .repairable)
        #expect(findings.contains { $0.code == "commitlog.file-size" && $0.file == file && $0.found == String(length) })
        #expect(findings.contains { $0.code == "record.torn-tail" && $0.file == file })
    }

    @Test(arguments: ["rocketmq-4.9.8/corrupt_b_crc_flip_middle", "rocketmq-4.9.8/corrupt_b2_crc_flip_last_file"])
    func crcFlip(_ scenario: String) throws {
        let corruption = try Self.corruption(scenario)
        let offset = Self.int64(corruption["messagePhysicalOffset"])
        let file = "commitlog/" + (corruption["file"] as! String)
        for jobs in [1, 4] {
            let (summary, findings) = try Self.verify(Fixtures.store(scenario), jobs: jobs)
            #expect(summary.verdict == .damaged)
            #expect(summary.exitCode == 65)
            let damaged = findings.filter { $0.severity == .damaged }
            #expect(damaged.count == 1)
            #expect(damaged.first?.code == "record.crc-mismatch")
            #expect(damaged.first?.physicalOffset == offset)
            #expect(damaged.first?.file == file)
        }
    }

    @Test func consumeQueueAheadOfLog() throws {
        let scenario = "rocketmq-4.9.8/corrupt_c_cq_ahead_of_commitlog"
        let end = Self.int64(try Self.corruption(scenario)["newCommitLogEnd"])
        let (summary, findings) = try Self.verify(Fixtures.store(scenario))
        #expect(summary.verdict == .repairable)
        #expect(summary.maxOffset == end)
        #expect(findings.contains { $0.code == "cq.ahead-of-log" && $0.physicalOffset == end })
        #expect(findings.contains { $0.code == "index.ahead-of-log" && $0.physicalOffset == end })
        #expect(!findings.contains { $0.severity == .damaged })
    }

    @Test(arguments: [
        ("rocketmq-4.9.8/corrupt_d_cq_missing", "cq.missing-directory"),
        ("rocketmq-4.9.8/corrupt_e_index_missing", "index.missing"),
        ("rocketmq-4.9.8/corrupt_f_checkpoint_missing", "checkpoint.missing"),
    ])
    func missingPart(_ scenario: String, _ code: String) throws {
        let (summary, findings) = try Self.verify(Fixtures.store(scenario))
        #expect(summary.verdict == .repairable)
        #expect(findings.filter { $0.severity > .info }.map(\.code) == [code])
    }

    /// crash_killed has no `corruption` object: what a verifier must see is what RocketMQ's own
    /// abnormal recovery did. expected/consumequeue.ndjson is RocketMQ's reading of the queues as
    /// the crash left them (the queue offset after its last unit);
    /// expected/recovery.json has where the log ends and each queue's maxOffset once recovery
    /// re-dispatched the log (`afterStart`).
    @Test func crashKilled() throws {
        let scenario = "rocketmq-4.9.8/crash_killed"
        let recovery = try JSONSerialization.jsonObject(
            with: Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, "recovery.json")))) as! [String: Any]
        let afterLoad = recovery["afterLoad"] as! [String: Any]
        let afterStart = recovery["afterStart"] as! [String: Any]
        func maxOffsets(_ state: [String: Any]) -> [String: Int64] {
            (state["consumeQueues"] as! [String: Any]).mapValues { Self.int64(($0 as! [String: Any])["maxOffset"]) }
        }
        let dispatched = maxOffsets(afterStart)
        var loaded: [String: Int64] = [:]
        for line in try String(contentsOfFile: Fixtures.expected(scenario, "consumequeue.ndjson"), encoding: .utf8)
            .split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            let key = "\(object["topic"]!)/\(object["queueId"]!)"
            switch object["type"] as? String {
            case "end": loaded[key] = Self.int64(object["queueOffset"])
            case "unit": loaded[key] = max(loaded[key] ?? 0, Self.int64(object["queueOffset"]) + 1)
            default: break
            }
        }
        let (summary, findings) = try Self.verify(Fixtures.store(scenario))
        #expect(summary.verdict == .repairable)
        #expect(summary.maxOffset == Self.int64(afterLoad["commitLogMaxOffset"]))
        #expect(findings.contains { $0.code == "store.abort-present" && $0.severity == .repairable })
        #expect(!findings.contains { $0.severity == .damaged })
        var behindSomewhere = false
        for location in try StoreLayout.discover(Fixtures.store(scenario)).consumeQueues {
            let key = "\(location.topic)/\(location.queueId)"
            let before = try #require(loaded[key]), after = try #require(dispatched[key])
            let behind = findings.filter { $0.code == "cq.behind-log" && $0.topic == location.topic && $0.queueId == location.queueId }
            if after > before {
                behindSomewhere = true
                #expect(behind.count == 1, "\(key)")
                #expect(behind.first?.expected == String(after) && behind.first?.found == String(before), "\(key)")
                #expect(behind.first?.queueOffset == before)
            } else {
                #expect(behind.isEmpty, "\(key)")
            }
        }
        #expect(behindSomewhere, "the crash left dispatched messages without units")
    }

    /// A file that cannot be read is its own class (exit 74), unless damage was found elsewhere.
    @Test func unreadableFileExits74() throws {
        let root = try VerifyCorruptionTests.copyStore()
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try StoreLayout.discover(root)
        // Gone between discovery and reading: open fails.
        let victim = layout.commitLogFiles[3]
        try FileManager.default.removeItem(atPath: victim.path)
        var findings: [Finding] = []
        let summary = StoreVerifier(layout: layout, options: VerifyOptions(lockHeld: false)).run { findings.append($0) }
        #expect(summary.verdict == .unreadable)
        #expect(summary.exitCode == 74)
        #expect(findings.contains { $0.code == "commitlog.unreadable" && $0.file == victim.relativePath && $0.severity == .unreadable })
    }

    @Test func jsonOutputHasPhysicalOffsetAndSummary() throws {
        let (summary, findings) = try Self.verify(Fixtures.store("rocketmq-4.9.8/corrupt_b_crc_flip_middle"))
        let formatter = FindingFormatter(format: .json)
        let line = formatter.line(findings.first { $0.severity == .damaged }!)
        let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
        #expect(object["physicalOffset"] as? Int == 424268)
        #expect(object["code"] as? String == "record.crc-mismatch")
        let last = try JSONSerialization.jsonObject(with: Data(formatter.line(summary).utf8)) as! [String: Any]
        #expect(last["type"] as? String == "summary")
        #expect(last["exitCode"] as? Int == 65)
    }
}

/// §18 items 9 and 10: invariants recovery does not check, reported as info at the record.
@Suite struct VerifyRecordInvariantTests {
    static func copy(_ scenario: String) throws -> String {
        let root = NSTemporaryDirectory() + "verify-invariants-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: root)
        return root
    }

    /// The first record (file path, position in file, physical offset) matching `predicate`.
    static func find(_ root: String, _ predicate: (MessageRecordView) -> Bool) throws -> (String, Int, Int64)? {
        var found: (String, Int, Int64)?
        try CommitLogWalker(layout: StoreLayout.discover(root)).walk { event in
            if case .message(let file, let record) = event, record.check.success, found == nil, predicate(record) {
                found = (file.path, record.position, file.fromOffset + Int64(record.position))
            }
            return .proceed
        }
        return found
    }

    static func write(_ path: String, at offset: Int, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(bytes))
    }

    @Test func delayedRecordInTheWrongQueue() throws {
        let root = try Self.copy("rocketmq-4.9.8/delayed")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (path, position, physical) = try #require(try Self.find(root) { $0.isScheduleTopic && $0.queueId > 0 })
        try Self.write(path, at: position + 12, [0, 0, 0, 0])  // QUEUEID := 0 (not under the body CRC)
        let (_, findings) = try VerifyTests.verify(root)
        #expect(findings.contains { $0.code == "record.delay-queue-mismatch" && $0.physicalOffset == physical && $0.found == "0" })
    }

    @Test func storeTimeGoingBackwards() throws {
        let root = try Self.copy("rocketmq-4.9.8/corrupt_base")
        defer { try? FileManager.default.removeItem(atPath: root) }
        let layout = try StoreLayout.discover(root)
        // A record in the middle of a file (not the first of its file): STORETIMESTAMP := 1.
        let (path, position, physical) = try #require(try Self.find(root) { $0.position > 0 && $0.physicalOffset > 300_000 })
        let bornHostLength = 8  // IPv4 fixture: STORETIMESTAMP follows BORNTIMESTAMP (48) and BORNHOST (8)
        try Self.write(path, at: position + 48 + bornHostLength, [0, 0, 0, 0, 0, 0, 0, 1])
        for jobs in [1, 3] {
            var options = VerifyOptions(jobs: jobs, lockHeld: false)
            options.chunkSize = 4096
            var findings: [Finding] = []
            _ = StoreVerifier(layout: layout, options: options).run { findings.append($0) }
            #expect(findings.contains { $0.code == "log.store-time-backwards" && $0.physicalOffset == physical && $0.found == "1" })
        }
    }
}
