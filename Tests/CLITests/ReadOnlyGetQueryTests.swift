// `get` and `query` are read-only: they change no byte of a store, read one a running
// `rmqstore put` holds locked, and report damaged records instead of trapping.

import Foundation
import RocketMQFormat
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite(.serialized) struct ReadOnlyGetQueryTests {
    static let scenario = "rocketmq-4.9.8/basic"

    /// Relative path → SHA-256 of every file and directory under `root` (directories as "dir").
    static func digests(_ root: String, excluding: Set<String> = []) -> [String: String] {
        var result: [String: String] = [:]
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            guard !excluding.contains(relative) else { continue }
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if isDirectory.boolValue { result[relative + "/"] = "dir"; continue }
            result[relative] = SHA256.hexDigest([UInt8](FileManager.default.contents(atPath: root + "/" + relative) ?? Data()))
        }
        return result
    }

    static func copyOfFixture(_ scenario: String) throws -> String {
        let target = NSTemporaryDirectory() + "rmqstore-readonly-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: target)
        return target
    }

    /// (queueOffset, commitLogOffset) of a queue's units as RocketMQ decoded them.
    static func units(_ scenario: String, topic: String, queueId: Int) throws -> [(Int64, Int64)] {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "consumequeue.ndjson"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            let json = try! JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            guard json["type"] as? String == "unit", json["topic"] as? String == topic, json["queueId"] as? Int == queueId else { return nil }
            return ((json["queueOffset"] as! NSNumber).int64Value, (json["commitLogOffset"] as! NSNumber).int64Value)
        }
    }

    static func json(_ line: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]) ?? [:]
    }

    /// The reads the tests run: a page of a queue, a tag filter, a key query, a msgId query and
    /// a queue that does not exist.
    static func reads(_ store: String, msgId: String) -> [[String]] {
        [
            ["get", store, "--topic", "TopicA", "--queue", "0", "--offset", "3", "--max", "10"],
            ["get", store, "--topic", "TopicA", "--queue", "0", "--tag", "TagA", "--max", "1000", "--format", "text"],
            ["get", store, "--topic", "NoSuchTopic", "--queue", "0"],
            ["query", store, "--topic", "TopicB", "--key", "hot-key"],
            ["query", store, "--msg-id", msgId, "--format", "text", "--body", "text"],
        ]
    }

    /// Checks the answers of `reads`: get pages the queue as RocketMQ's consume queue says.
    static func checkAnswers(_ results: [RunResult]) throws {
        let units = try Self.units(scenario, topic: "TopicA", queueId: 0)
        let page = results[0]
        #expect(page.status == 0, "\(page.stderr)")
        let messages = page.stdoutLines.map(json).filter { $0["type"] as? String == "msg" }
        #expect(messages.map { ($0["physicalOffset"] as! NSNumber).int64Value } == units[3..<13].map(\.1))
        let result = json(page.stdoutLines.last ?? "")
        #expect(result["type"] as? String == "getResult" && result["status"] as? String == "FOUND")
        #expect((result["nextBeginOffset"] as? NSNumber)?.int64Value == 13)
        #expect((result["maxOffset"] as? NSNumber)?.int64Value == Int64(units.count))
        #expect(results[1].status == 0 && results[1].stdoutLines.last?.hasPrefix("FOUND: ") == true, "\(results[1].stderr)")
        #expect(results[2].status == 0 && results[2].stdout.contains("NO_MATCHED_LOGIC_QUEUE"))
        #expect(results[3].status == 0 && !results[3].stdoutLines.isEmpty, "\(results[3].stderr)")
        #expect(results[4].status == 0 && results[4].stdout.contains("@\(units[0].1),"), "\(results[4].stdout) \(results[4].stderr)")
    }

    static func msgId(of store: String) throws -> String {
        let first = try CLI.run(["get", store, "--topic", "TopicA", "--queue", "0", "--max", "1"])
        return try #require(first.stdoutLines.first.flatMap { json($0)["offsetMsgId"] as? String })
    }

    @Test func getAndQueryChangeNoByte() throws {
        let store = try Self.copyOfFixture(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: store) }
        let before = Self.digests(store)
        #expect(before["abort"] == nil)
        let results = try Self.reads(store, msgId: try Self.msgId(of: store)).map { try CLI.run($0) }
        try Self.checkAnswers(results)
        #expect(Self.digests(store) == before)
        #expect(!FileManager.default.fileExists(atPath: store + "/abort"))
    }

    /// A `put` holds the store (lock taken, `abort` created, waiting on stdin): get and query
    /// still read it, and change nothing of it (the checkpoint aside, which the put's own flush
    /// service may rewrite meanwhile).
    @Test func getAndQueryReadALockedStore() throws {
        let store = try Self.copyOfFixture(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: store) }
        let msgId = try Self.msgId(of: store)
        let put = Process()
        put.executableURL = URL(fileURLWithPath: try #require(CLI.binary))
        put.arguments = ["put", store]
        let input = Pipe()
        put.standardInput = input
        put.standardOutput = FileHandle.nullDevice
        put.standardError = FileHandle.nullDevice
        try put.run()
        defer {
            try? input.fileHandleForWriting.close()
            put.waitUntilExit()
        }
        // The engine creates `abort` once it holds the lock.
        var waited = 0
        while !FileManager.default.fileExists(atPath: store + "/abort") && waited < 200 {
            usleep(50_000)
            waited += 1
        }
        #expect(FileManager.default.fileExists(atPath: store + "/abort"), "put did not open the store")
        let second = try CLI.run(["put", store])
        #expect(second.status == 75, "the lock is not held: \(second.stderr)")

        let before = Self.digests(store, excluding: ["checkpoint"])
        let results = try Self.reads(store, msgId: msgId).map { try CLI.run($0) }
        try Self.checkAnswers(results)
        #expect(Self.digests(store, excluding: ["checkpoint"]) == before)

        try input.fileHandleForWriting.close()
        put.waitUntilExit()
        #expect(put.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: store + "/abort"))
    }

    /// corrupt_b_crc_flip_middle: one body byte flipped. get returns the rest of the queue and
    /// names the bad record (offset, file, position, CRC); query --msg-id reports it too.
    @Test func getReportsADamagedRecord() throws {
        let scenario = "rocketmq-4.9.8/corrupt_b_crc_flip_middle"
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/" + scenario + "/scenario.json"))
        let corruption = try #require((try JSONSerialization.jsonObject(with: data) as? [String: Any])?["corruption"] as? [String: Any])
        let victim = (corruption["messagePhysicalOffset"] as! NSNumber).int64Value
        let file = corruption["file"] as! String
        // The queue holding the victim, from RocketMQ's own decoding.
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "consumequeue.ndjson"), encoding: .utf8)
        let unit = try #require(text.split(separator: "\n").map { Self.json(String($0)) }.first {
            $0["type"] as? String == "unit" && ($0["commitLogOffset"] as? NSNumber)?.int64Value == victim
        })
        let topic = unit["topic"] as! String, queueId = unit["queueId"] as! Int
        let units = try Self.units(scenario, topic: topic, queueId: queueId)
        let before = Self.digests(Fixtures.store(scenario))

        let run = try CLI.run(["get", Fixtures.store(scenario), "--topic", topic, "--queue", String(queueId), "--max", "10000"])
        #expect(run.status == 1 && !run.signaled, "\(run.stderr)")
        let lines = run.stdoutLines.map(Self.json)
        let messages = lines.filter { $0["type"] as? String == "msg" }.map { ($0["physicalOffset"] as! NSNumber).int64Value }
        #expect(messages == units.map(\.1).filter { $0 != victim })
        let bad = lines.filter { $0["type"] as? String == "unreadable" }
        #expect(bad.count == 1)
        #expect((bad.first?["physicalOffset"] as? NSNumber)?.int64Value == victim)
        #expect(bad.first?["file"] as? String == "commitlog/" + file)
        #expect((bad.first?["filePos"] as? NSNumber)?.int64Value == victim - Int64(file)!)
        #expect(bad.first?["code"] as? String == "record.crc-mismatch")
        #expect((bad.first?["reason"] as? String)?.contains("body CRC mismatch") == true)
        let result = lines.last ?? [:]
        #expect(result["status"] as? String == "FOUND" && (result["unreadable"] as? NSNumber)?.intValue == 1)

        let text2 = try CLI.run(["get", Fixtures.store(scenario), "--topic", topic, "--queue", String(queueId), "--max", "10000", "--format", "text"])
        #expect(text2.status == 1 && text2.stdout.contains("unreadable: physical offset \(victim)"))

        let id = MessageId.offsetMessageId(storeHost: try #require(HostAddress(parsing: "192.0.2.10:10911")), physicalOffset: victim)
        let query = try CLI.run(["query", Fixtures.store(scenario), "--msg-id", id])
        #expect(query.status == 1 && query.stdout.contains("record.crc-mismatch"), "\(query.stdout) \(query.stderr)")
        #expect(Self.digests(Fixtures.store(scenario)) == before)
    }
}
