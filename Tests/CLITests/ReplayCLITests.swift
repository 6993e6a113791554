import Foundation
import Testing
import TestSupport

/// `rmqstore replay delayed|transactions` on the fixtures, as an operator runs them.
@Suite struct ReplayCLITests {
    static func lines(_ result: RunResult) throws -> [[String: Any]] {
        try result.stdoutLines.map { try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
    }

    @Test func delayedListsEveryScheduledMessage() throws {
        let result = try CLI.run(["replay", "delayed", "--format", "json", "--now", "2026-11-21T21:21:14Z",
                                  Fixtures.store("rocketmq-4.9.8/delayed")])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Self.lines(result)
        let delayed = lines.filter { $0["type"] as? String == "delayed" }
        let expected = try expectedMessages("rocketmq-4.9.8/delayed").filter { $0["topic"] as? String == "SCHEDULE_TOPIC_XXXX" }
        #expect(delayed.count == expected.count)
        #expect(delayed.filter { $0["state"] as? String == "delivered" }.count == 20)
        #expect(Set(delayed.compactMap { $0["physicalOffset"] as? Int }) == Set(expected.compactMap { $0["physicalOffset"] as? Int }))
        let progress = try #require(lines.last)
        #expect(progress["type"] as? String == "progress" && progress["source"] as? String == "config/delayOffset.json")
    }

    @Test func delayedFallsBackToTheBackupProgressFile() throws {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-replay-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: tmp) }
        try FileManager.default.copyItem(atPath: Fixtures.store("rocketmq-4.9.8/delayed"), toPath: tmp.path)
        let config = tmp.appendingPathComponent("config")
        try FileManager.default.moveItem(at: config.appendingPathComponent("delayOffset.json"),
                                         to: config.appendingPathComponent("delayOffset.json.bak"))
        try Data("{\"offsetTable\":{1:2".utf8).write(to: config.appendingPathComponent("delayOffset.json"))
        let result = try CLI.run(["replay", "delayed", "--format", "json", tmp.path])
        #expect(result.status == 0)
        let progress = try #require(try Self.lines(result).last)
        #expect(progress["source"] as? String == "config/delayOffset.json.bak")
        #expect((progress["problem"] as? String)?.contains("does not parse") == true)
    }

    @Test func transactionsListOneLinePerHalfOrPreparedMessage() throws {
        let result = try CLI.run(["replay", "transactions", "--format", "json", Fixtures.store("rocketmq-4.9.8/transaction")])
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Self.lines(result)
        let transactions = lines.filter { $0["type"] as? String == "transaction" }
        let messages = try expectedMessages("rocketmq-4.9.8/transaction")
        let halfKeys = Set(messages.filter { $0["topic"] as? String == "RMQ_SYS_TRANS_HALF_TOPIC" }
            .map { ($0["properties"] as! [String: Any])["UNIQ_KEY"] as! String })
        let prepared = messages.filter { ($0["sysFlag"] as? Int ?? 0) & 0xC == 0x4 }
        #expect(transactions.count == halfKeys.count + prepared.count)
        for line in transactions {
            #expect(["committed", "rolledBack", "pending", "discarded"].contains(line["state"] as? String ?? ""))
            #expect(line["ageMillis"] is Int && line["checkCount"] is Int && line["physicalOffset"] is Int)
        }
        let summary = try #require(lines.last)
        #expect(summary["type"] as? String == "summary")
        #expect((summary["committed"] as! Int) + (summary["rolledBack"] as! Int) + (summary["pending"] as! Int)
            + (summary["discarded"] as! Int) == transactions.count)
    }
}
