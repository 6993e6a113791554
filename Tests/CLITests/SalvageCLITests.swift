// `rmqstore salvage` on corrupt_b_crc_flip_middle through the binary: the gap is printed with a
// hint to --renumber, verify of the default output exits 1 with one cq.queue-offset-gap, and
// verify of the --renumber output exits 0.

import Foundation
import TestSupport
import Testing

@Suite struct SalvageCLITests {
    static let scenario = "rocketmq-4.9.8/corrupt_b_crc_flip_middle"

    /// The damaged record's queue and queue offset, from the fixture's derivation source (the
    /// damaged store's listing stops where RocketMQ's walk does).
    static func lostQueue() throws -> (topic: String, queueId: Int, queueOffset: Int64) {
        let root = Fixtures.root + "/" + scenario
        let scenarioJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: root + "/scenario.json"))) as? [String: Any]
        let corruption = try #require(scenarioJSON?["corruption"] as? [String: Any])
        let flipped = try #require(int64(corruption["flippedBytePhysicalOffset"]))
        let base = "rocketmq-4.9.8/" + (try #require(scenarioJSON?["derivedFrom"] as? String))
        let text = try String(contentsOfFile: Fixtures.expected(base, "messages.ndjson"), encoding: .utf8)
        for line in text.split(separator: "\n") {
            guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], json["type"] as? String == "msg",
                  let start = int64(json["physicalOffset"]), let size = int64(json["totalSize"]), (start..<(start + size)).contains(flipped)
            else { continue }
            return (try #require(json["topic"] as? String), try #require((json["queueId"] as? NSNumber)?.intValue), try #require(int64(json["queueOffset"])))
        }
        throw CancellationError()
    }

    @Test func gapIsPrintedAndRenumberVerifiesClean() throws {
        let lost = try Self.lostQueue()
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-salvage-cli-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }

        let plain = try CLI.run(["salvage", Fixtures.store(Self.scenario), "--output", root + "/plain"])
        #expect(plain.status == 1)
        #expect(plain.stdout.contains("GAP queue \(lost.topic)/\(lost.queueId): no record for queue offsets [\(lost.queueOffset), \(lost.queueOffset + 1))"))
        #expect(plain.stdoutLines.contains { $0.hasPrefix("hint:") && $0.contains("\(lost.topic)/\(lost.queueId)") && $0.contains("--renumber") })
        let plainVerify = try CLI.run(["verify", "--format", "json", root + "/plain"])
        #expect(plainVerify.status == 1)
        let codes = jsonLines(plainVerify).filter { $0["type"] as? String == "finding" && $0["severity"] as? String != "info" }.map { $0["code"] as? String }
        #expect(codes == ["cq.queue-offset-gap"])

        let renumbered = try CLI.run(["salvage", Fixtures.store(Self.scenario), "--output", root + "/renumbered", "--renumber", "--format", "json"])
        #expect(renumbered.status == 1)
        let lines = jsonLines(renumbered)
        let gap = try #require(lines.first { $0["type"] as? String == "gap" })
        #expect(gap["topic"] as? String == lost.topic && int64(gap["from"]) == lost.queueOffset && gap["renumbered"] as? Bool == true)
        let queue = try #require(lines.first { $0["type"] as? String == "renumbered" })
        #expect(queue["topic"] as? String == lost.topic && int64(queue["nextQueueOffset"]).map { $0 + 1 } == int64(queue["sourceNextQueueOffset"]))
        #expect(lines.last?["type"] as? String == "summary" && int64(lines.last?["renumberedQueues"]) == 1)
        let cleanVerify = try CLI.run(["verify", root + "/renumbered"])
        #expect(cleanVerify.status == 0, "\(cleanVerify.stdout)")
    }

    /// A record whose body CRC still matches but whose header holds what no broker writes (SYSFLAG
    /// bits above bit 10, a negative QUEUEID) is reported lost, with the reason, rather than kept
    /// in a place made up from the damaged field; the new store verifies clean.
    @Test func implausibleHeadersAreLostNotKept() throws {
        let copy = try StoreCopy("rocketmq-4.9.8/sync_flush")
        defer { copy.remove() }
        let text = try String(contentsOfFile: Fixtures.expected("rocketmq-4.9.8/sync_flush", "messages.ndjson"), encoding: .utf8)
        let messages = text.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
            .filter { $0["type"] as? String == "msg" }
        let sysFlagVictim = try #require(messages.dropFirst(10).first), queueIdVictim = try #require(messages.dropFirst(20).first)
        func patch(_ message: [String: Any], at field: Int64, _ bytes: [UInt8]) throws {
            let file = try #require(message["file"] as? String)
            let position = try #require(int64(message["physicalOffset"])) - (Int64(String(file.suffix(20))) ?? 0)
            let handle = try #require(FileHandle(forUpdatingAtPath: copy.store + "/commitlog/" + String(file.suffix(20))))
            try handle.seek(toOffset: UInt64(position + field))
            try handle.write(contentsOf: Data(bytes))
            try handle.close()
        }
        try patch(sysFlagVictim, at: 36, [0x00, 0x10, 0x00, 0x00])  // SYSFLAG bit 20
        try patch(queueIdVictim, at: 12, [0xFF, 0xFF, 0xFF, 0xFD])  // QUEUEID -3
        let output = copy.root + "/salvaged"
        let run = try CLI.run(["salvage", copy.store, "--output", output, "--renumber", "--format", "json"])
        let lost = jsonLines(run).filter { $0["type"] as? String == "lost" }
        #expect(Set(lost.compactMap { int64($0["physicalOffset"]) })
                == [int64(sysFlagVictim["physicalOffset"])!, int64(queueIdVictim["physicalOffset"])!], "\(run.stdout)")
        let verify = try CLI.run(["verify", output])
        #expect(verify.status == 0, "\(verify.stdout)")
    }
}
