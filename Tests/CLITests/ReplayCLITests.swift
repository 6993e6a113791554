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
        // At that time no delay of 5 s or more has run out: nothing is due, exit 0.
        #expect(result.status == 0, "\(result.stderr)")
        let lines = try Self.lines(result)
        let delayed = lines.filter { $0["type"] as? String == "delayed" }
        let expected = try expectedMessages("rocketmq-4.9.8/delayed").filter { $0["topic"] as? String == "SCHEDULE_TOPIC_XXXX" }
        #expect(delayed.count == expected.count)
        #expect(delayed.filter { $0["state"] as? String == "delivered" }.count == 20)
        #expect(delayed.filter { $0["state"] as? String == "waiting" }.count == expected.count - 20)
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
        #expect(result.status == 1)
        let progress = try #require(try Self.lines(result).last { $0["type"] as? String == "progress" })
        #expect(progress["source"] as? String == "config/delayOffset.json.bak")
        #expect((progress["problem"] as? String)?.contains("does not parse") == true)
    }

    @Test func transactionsListOneLinePerHalfOrPreparedMessage() throws {
        let result = try CLI.run(["replay", "transactions", "--format", "json", Fixtures.store("rocketmq-4.9.8/transaction")])
        #expect(result.status == 1, "pending transactions: \(result.stderr)")
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

    // MARK: --apply on copies of the fixtures

    static func copy(_ scenario: String) throws -> String {
        let tmp = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-replay-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: tmp, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: tmp.path + "/store")
        return tmp.path
    }

    static func messages(_ store: String) throws -> [[String: Any]] {
        let dump = try CLI.run(["dump", "--format", "json", "--no-digests", store])
        #expect(dump.status == 0, "\(dump.stderr)")
        return try lines(dump).filter { $0["type"] as? String == "msg" }
    }

    /// Delivered copies per scheduled message (matched by UNIQ_KEY): each must be exactly 1.
    static func deliveries(_ store: String) throws -> (scheduled: Int, copies: [String: Int]) {
        let all = try messages(store)
        let scheduled = all.filter { $0["topic"] as? String == "SCHEDULE_TOPIC_XXXX" }
        var copies: [String: Int] = [:]
        for message in all where message["topic"] as? String != "SCHEDULE_TOPIC_XXXX" {
            let properties = message["properties"] as? [String: Any] ?? [:]
            if properties["REAL_TOPIC"] as? String == message["topic"] as? String, properties["DELAY"] != nil {
                copies[properties["UNIQ_KEY"] as! String, default: 0] += 1
            }
        }
        return (scheduled.count, copies)
    }

    @Test func delayedApplyDeliversEachMessageOnceEvenWhenKilled() throws {
        let dir = try Self.copy("rocketmq-4.9.8/delayed")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/store"
        // Killed after 25 deliveries: the progress file was never written.
        let killed = try RepairCLI.run(["replay", "delayed", "--all", "--apply", "--salvage-dir", dir + "/s1", store],
                                       environment: ["RMQSTORE_CRASH_AFTER_RECORDS": "25"])
        #expect(killed.signaled)
        // Not shut down cleanly: replay refuses; recover first (as an operator would).
        let refused = try CLI.run(["replay", "delayed", "--all", "--apply", store])
        #expect(refused.status == 65 && refused.stderr.contains("recover"))
        let recovered = try CLI.run(["recover", "--apply", "--salvage-dir", dir + "/s2", store])
        #expect(recovered.status == 0, "\(recovered.stdout) \(recovered.stderr)")
        let listed = try Self.lines(try CLI.run(["replay", "delayed", "--format", "json", store]))
        #expect(listed.filter { $0["state"] as? String == "deliveredUnrecorded" }.count == 25)
        // The rerun delivers the rest, and only the rest.
        let applied = try CLI.run(["replay", "delayed", "--all", "--apply", "--format", "json", "--salvage-dir", dir + "/s3", store])
        #expect(applied.status == 0, "\(applied.stderr)")
        let written = try Self.lines(applied).filter { $0["type"] as? String == "written" }
        let (scheduled, copies) = try Self.deliveries(store)
        #expect(written.count == scheduled - 20 - 25)
        #expect(copies.count == scheduled && copies.values.allSatisfy { $0 == 1 }, "\(copies.filter { $0.value != 1 })")
        // Nothing left, progress covers every level, the store verifies clean.
        let again = try CLI.run(["replay", "delayed", "--all", "--apply", "--format", "json", store])
        #expect(try Self.lines(again).filter { $0["type"] as? String == "written" }.isEmpty)
        let levels = try Self.lines(try CLI.run(["replay", "delayed", "--format", "json", store])).filter { $0["type"] as? String == "level" }
        for level in levels { #expect(level["progress"] as? Int == level["maxQueueOffset"] as? Int && level["delivered"] as? Int == level["messages"] as? Int) }
        #expect(try CLI.run(["verify", store]).status == 0)
        let progress = try String(contentsOfFile: store + "/config/delayOffset.json", encoding: .utf8)
        #expect(progress.contains("18:4"))
        // The previous progress is kept in the .bak, as the broker's ConfigManager keeps it.
        let backup = try String(contentsOfFile: store + "/config/delayOffset.json.bak", encoding: .utf8)
        #expect(backup.contains("{1:20\n"))
        // undo of the last replay's journal puts the progress file back as it was.
        let undo = try CLI.run(["undo", dir + "/s3/journal.json", "--apply"])
        #expect(undo.status == 0, "\(undo.stdout) \(undo.stderr)")
        let restored = try String(contentsOfFile: store + "/config/delayOffset.json", encoding: .utf8)
        #expect(restored.contains("{1:20\n"))
    }

    @Test func transactionsCommitAndRollbackResolveEveryPendingOne() throws {
        let dir = try Self.copy("rocketmq-4.9.8/transaction")
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let store = dir + "/store"
        let summary = { () throws -> [String: Any] in
            try Self.lines(try CLI.run(["replay", "transactions", "--format", "json", store])).last!
        }
        let start = try summary()
        let pendingBefore = start["pending"] as! Int
        #expect(pendingBefore > 0)
        // Dry run: a plan, nothing written.
        let dry = try CLI.run(["replay", "transactions", "--rollback", "--producer-group", "PID_TX_A", "--format", "json", store])
        #expect(dry.status == 1)
        let planned = try Self.lines(dry).filter { $0["type"] as? String == "resolve" }
        #expect(!planned.isEmpty && planned.allSatisfy { $0["to"] as? String == "rolledBack" })
        #expect(try summary()["pending"] as! Int == pendingBefore)
        // Roll back one group, commit the rest.
        let rolled = try CLI.run(["replay", "transactions", "--rollback", "--producer-group", "PID_TX_A", "--apply", store])
        #expect(rolled.status == 0, "\(rolled.stderr)")
        let afterRollback = try summary()
        #expect(afterRollback["rolledBack"] as! Int == (start["rolledBack"] as! Int) + planned.count)
        let committed = try CLI.run(["replay", "transactions", "--commit", "--older-than", "0", "--apply", "--format", "json", store])
        #expect(committed.status == 0, "\(committed.stderr)")
        let end = try summary()
        #expect(end["pending"] as! Int == 0)
        #expect(end["committed"] as! Int == (start["committed"] as! Int) + pendingBefore - planned.count)
        // Idempotent, and the store verifies clean.
        let again = try CLI.run(["replay", "transactions", "--commit", "--older-than", "0", "--apply", "--format", "json", store])
        #expect(try Self.lines(again).filter { $0["type"] as? String == "written" }.isEmpty)
        #expect(try CLI.run(["replay", "transactions", store]).status == 0)
        let verify = try CLI.run(["verify", store])
        #expect(verify.status == 0, "\(verify.stdout)")
    }
}
