// Damage campaign (issue 7): seeded random single damages on temporary copies of fixtures. After
// each damage the read-only commands run as child processes with a time limit: none may trap or
// hang, and verify must report the damage at the right place when a check can see it.
//
// Reproduce a run with RMQSTORE_DAMAGE_SEED=<seed> (printed on failure); widen it with
// RMQSTORE_DAMAGE_SECONDS (default 45: the whole campaign is time-bounded).
//
// EXTENSION POINT (recover/salvage, issue 7): `DamageCheck`s run after every damage. When the
// repair commands land, add checks here, e.g. `recover --apply` then `verify` is clean and the
// salvage journal lists what was cut; `salvage` keeps every record verify still decodes. Each
// check gets its own store copy from `StoreCopy`, so a check that writes cannot affect another.

import Foundation
import TestSupport
import Testing

/// Something that must hold on a damaged store.
protocol DamageCheck: Sendable {
    var name: String { get }
    /// Returns problems found (empty when the check holds).
    func check(store: String, damage: Damage) throws -> [String]
}

/// dump (every --what), stat and verify finish within the time limit, without a signal or a
/// backtrace, with a documented exit status and only `rmqstore: ` lines on stderr.
struct ReadOnlyCommandsFinish: DamageCheck {
    let name = "read-only commands finish"
    static let runs: [[String]] = [
        ["dump"], ["dump", "--format", "json"], ["dump", "--what", "consumequeue"], ["dump", "--what", "index"],
        ["dump", "--what", "checkpoint"], ["dump", "--what", "config"], ["stat"], ["stat", "--format", "json"],
    ]

    func check(store: String, damage: Damage) throws -> [String] {
        var problems: [String] = []
        for command in Self.runs {
            let run = try BoundedCLI.run(command + [store], timeout: 15)
            let label = command.joined(separator: " ")
            if run.timedOut { problems.append("\(label): hung (killed after 15 s)") }
            if run.result.signaled { problems.append("\(label): killed by a signal: \(run.result.stderr.prefix(500))") }
            if ![0, 1, 64, 65, 74].contains(run.result.status) { problems.append("\(label): exit \(run.result.status)") }
            if run.result.stderrLines.contains(where: { !$0.hasPrefix("rmqstore: ") }) {
                problems.append("\(label): stray stderr: \(run.result.stderr.prefix(500))")
            }
        }
        return problems
    }
}

/// verify finishes and reports the damage where a check can see it.
struct VerifyReportsDamage: DamageCheck {
    let name = "verify reports the damage"

    func check(store: String, damage: Damage) throws -> [String] {
        let run = try BoundedCLI.run(["verify", "--format", "json", store], timeout: 30)
        if run.timedOut { return ["verify hung"] }
        if run.result.signaled { return ["verify killed by a signal: \(run.result.stderr.prefix(500))"] }
        let findings = run.result.stdoutLines.compactMap { line -> [String: Any]? in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "finding", object["severity"] as? String != "info" else { return nil }
            return object
        }
        switch damage.expectation {
        case .invisible:
            return [0, 1, 65].contains(run.result.status) ? [] : ["verify exit \(run.result.status)"]
        case .reported:
            if run.result.status == 0 || findings.isEmpty { return ["verify reported nothing (exit \(run.result.status))"] }
            return []
        case .located(let file, let positions):
            let here = findings.filter { finding in
                // A finding may name the queue directory of a damaged consume queue file.
                guard let named = finding["file"] as? String, named == file || file.hasPrefix(named + "/") else { return false }
                guard let positions else { return true }
                let position = (finding["position"] as? NSNumber)?.intValue
                return position.map(positions.contains) ?? false
            }
            if here.isEmpty {
                let seen = findings.prefix(5).map { "\($0["code"] ?? "?") \($0["file"] ?? "?") @ \($0["position"] ?? "-")" }
                return ["verify did not report \(file)\(positions.map { " @ \($0)" } ?? "") (exit \(run.result.status); saw: \(seen))"]
            }
            return []
        }
    }
}

@Suite struct DamageCampaignTests {
    static let scenarios = ["rocketmq-4.9.8/sync_flush", "rocketmq-4.9.8/ipv6_compressed_batch"]
    static let checks: [any DamageCheck] = [ReadOnlyCommandsFinish(), VerifyReportsDamage()]

    /// Damages verify does not report yet (for the verify work to pick up; intermittent because
    /// whether the seeded sequence hits them depends on the time budget).
    static let knownGaps: [(pattern: String, reason: Comment)] = [
        ("/00000000000000000000 deleted — verify reports the damage: verify reported nothing",
         "verify: the first consume queue file deleted while later ones remain (queue offsets 0..n-1 still in the log) is not reported"),
    ]

    @Test func seededSingleDamages() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["RMQSTORE_DAMAGE_SEED"].flatMap(UInt64.init) ?? 0x5EED_0007
        let budget = environment["RMQSTORE_DAMAGE_SECONDS"].flatMap(Double.init) ?? 45
        var random = SeededRandom(seed: seed)
        let records = try Dictionary(uniqueKeysWithValues: Self.scenarios.map { ($0, try FixtureRecord.load($0)) })
        let start = Date()
        var applied = 0
        var reportedInvisible = 0
        var problems: [String] = []
        // Round-robin over the kinds so every kind runs even when the budget is short.
        round: while true {
            for kind in StoreDamager.kinds {
                if Date().timeIntervalSince(start) > budget && applied >= StoreDamager.kinds.count { break round }
                let scenario = Self.scenarios[applied % Self.scenarios.count]
                let copy = try StoreCopy(scenario)
                defer { copy.remove() }
                var damager = StoreDamager(store: copy.store, records: records[scenario]!, random: random)
                let damage = try damager.apply(kind)
                random = damager.random
                applied += 1
                for check in Self.checks {
                    for problem in try check.check(store: copy.store, damage: damage) {
                        problems.append("[\(scenario)] \(damage) — \(check.name): \(problem)")
                    }
                }
                if case .invisible = damage.expectation,
                   (try? BoundedCLI.run(["verify", copy.store]).result.status) != 0 { reportedInvisible += 1 }
            }
        }
        let seconds = Date().timeIntervalSince(start)
        print("damage campaign: seed \(seed), \(applied) damages in \(String(format: "%.1f", seconds)) s, \(problems.count) problems, \(reportedInvisible) 'invisible' damages still reported")
        #expect(applied >= StoreDamager.kinds.count)
        for problem in problems {
            if let gap = Self.knownGaps.first(where: { problem.contains($0.pattern) }) {
                withKnownIssue(gap.reason, isIntermittent: true) { Issue.record("seed \(seed): \(problem)") }
            } else {
                Issue.record("seed \(seed): \(problem)")
            }
        }
    }
}

/// A fixture store copied into a fresh temporary directory.
struct StoreCopy {
    let root: String
    let store: String
    init(_ scenario: String) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-damage-\(UUID().uuidString)").path
        store = root + "/store"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: store)
    }
    func remove() { try? FileManager.default.removeItem(atPath: root) }
}
