// `rmqstore verify` as a CI job runs it: exit status per class, NDJSON findings with
// `physicalOffset`, a final summary line, and nothing on stderr unless asked.

import Foundation
import TestSupport
import Testing

@Suite struct VerifyCLITests {
    static func corruption(_ scenario: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: "\(Fixtures.root)/\(scenario)/scenario.json"))
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any])?["corruption"] as? [String: Any] ?? [:]
    }

    @Test(arguments: ["rocketmq-4.9.8/basic", "rocketmq-4.9.8/transaction", "rocketmq-5.3.3/v5_basic"])
    func cleanStoreExitsZero(_ scenario: String) throws {
        let result = try CLI.run(["verify", Fixtures.store(scenario)])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdoutLines.count == 1)
        #expect(result.stdoutLines.last?.hasPrefix("verdict: clean (exit 0): 0 damaged, 0 repairable, 0 info") == true)
        // stderr is not a terminal here: no progress.
        #expect(result.stderr.isEmpty)
        expectNoBacktrace(result)
    }

    @Test func damagedStoreGivesNDJSONAndExit65() throws {
        let scenario = "rocketmq-4.9.8/corrupt_b_crc_flip_middle"
        let offset = int64(try Self.corruption(scenario)["messagePhysicalOffset"])
        let result = try CLI.run(["verify", "--format", "json", Fixtures.store(scenario)])
        #expect(result.status == 65)
        let lines = jsonLines(result)
        #expect(lines.count == result.stdoutLines.count, "every line is JSON")
        let findings = lines.dropLast()
        #expect(findings.allSatisfy { $0["type"] as? String == "finding" && $0["code"] is String && $0["severity"] is String })
        let damaged = findings.filter { $0["severity"] as? String == "damaged" }
        #expect(damaged.count == 1)
        #expect(damaged.first?["code"] as? String == "record.crc-mismatch")
        #expect(int64(damaged.first?["physicalOffset"]) == offset)
        let summary = try #require(lines.last)
        #expect(summary["type"] as? String == "summary")
        #expect(summary["verdict"] as? String == "damaged")
        #expect(int64(summary["exitCode"]) == 65)
        #expect(int64(summary["damaged"]) == 1)
    }

    @Test(arguments: [
        ("rocketmq-4.9.8/corrupt_a_torn_tail_zeroed", "record.torn-tail"),
        ("rocketmq-4.9.8/corrupt_f_checkpoint_missing", "checkpoint.missing"),
        ("rocketmq-4.9.8/crash_killed", "store.abort-present"),
    ])
    func repairableStoreExitsOne(_ scenario: String, _ code: String) throws {
        let result = try CLI.run(["verify", "--format", "json", Fixtures.store(scenario)])
        #expect(result.status == 1)
        let lines = jsonLines(result)
        #expect(lines.contains { $0["code"] as? String == code && $0["severity"] as? String == "repairable" })
        #expect(lines.last?["verdict"] as? String == "repairable")
    }

    @Test func tornTailFindingCarriesItsPhysicalOffset() throws {
        let scenario = "rocketmq-4.9.8/corrupt_a_torn_tail_zeroed"
        let offset = int64(try Self.corruption(scenario)["lastMessagePhysicalOffset"])
        let result = try CLI.run(["verify", "--format", "json", "--only", "commitlog", Fixtures.store(scenario)])
        let torn = jsonLines(result).filter { $0["code"] as? String == "record.torn-tail" }
        #expect(torn.count == 1)
        #expect(int64(torn.first?["physicalOffset"]) == offset)
        #expect(torn.first?["file"] as? String == "commitlog/00000000000000786432")
    }

    @Test func maxFindingsLimitsLinesButNotTheVerdict() throws {
        let store = Fixtures.store("rocketmq-4.9.8/corrupt_c_cq_ahead_of_commitlog")
        let all = try CLI.run(["verify", "--format", "json", store])
        let limited = try CLI.run(["verify", "--format", "json", "--max-findings", "1", store])
        #expect(all.stdoutLines.count > 2)
        #expect(limited.stdoutLines.count == 2)
        #expect(limited.status == all.status)
        let summary = try #require(jsonLines(limited).last)
        #expect(int64(summary["suppressed"]) == Int64(all.stdoutLines.count - 2))
    }

    @Test func onlySelectsAreasAndJobsDoNotChangeTheResult() throws {
        let store = Fixtures.store("rocketmq-4.9.8/corrupt_c_cq_ahead_of_commitlog")
        let cq = try CLI.run(["verify", "--format", "json", "--only", "consumequeue", store])
        #expect(jsonLines(cq).dropLast().allSatisfy { ($0["code"] as? String)?.hasPrefix("cq.") == true })
        let both = try CLI.run(["verify", "--format", "json", "--only", "consumequeue,index", store])
        #expect(jsonLines(both).contains { ($0["code"] as? String)?.hasPrefix("index.") == true })
        let repeated = try CLI.run(["verify", "--format", "json", "--only", "consumequeue", "--only", "index", store])
        #expect(repeated.stdout == both.stdout)
        let serial = try CLI.run(["verify", "--format", "json", store])
        let parallel = try CLI.run(["verify", "--format", "json", "--jobs", "3", store])
        #expect(serial.stdoutLines.sorted() == parallel.stdoutLines.sorted())
        #expect(serial.status == parallel.status)
    }

    @Test func progressGoesToStderrOnlyWhenAsked() throws {
        let store = Fixtures.store("rocketmq-4.9.8/basic")
        let quiet = try CLI.run(["verify", store])
        #expect(quiet.stderr.isEmpty)
        let forced = try CLI.run(["verify", "--progress", store])
        #expect(forced.status == 0)
        #expect(forced.stderr.contains("commitlog:"))
        #expect(forced.stdout == quiet.stdout)
    }

    @Test func usageErrorsExit64() throws {
        let store = Fixtures.store("rocketmq-4.9.8/basic")
        #expect(try CLI.run(["verify", "--only", "bogus", store]).status == 64)
        #expect(try CLI.run(["verify", "--jobs", "0", store]).status == 64)
        let notAStore = try CLI.run(["verify", Fixtures.root])
        #expect(notAStore.status == 64)
        expectNoBacktrace(notAStore)
    }

    @Test func helpDocumentsClassesAndExitCodes() throws {
        let help = try CLI.run(["verify", "--help"])
        #expect(help.status == 0)
        for text in ["0   clean", "1   repairable", "65  damaged", "74  unreadable", "64  usage", "--jobs", "--only",
                     "--max-findings", "--progress", "physicalOffset", "tail-in-progress"] {
            #expect(help.stdout.contains(text), "verify --help lacks \(text)")
        }
    }
}
