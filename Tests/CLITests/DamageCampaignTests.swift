// Damage campaign (issue 7): seeded random single damages on temporary copies of fixtures. After
// each damage the commands run as child processes with a time limit: none may trap or hang,
// verify must report the damage at the right place when a check can see it, `recover --apply`
// must leave a store verify reports clean (and `undo` must restore the damaged copy byte for
// byte), and `salvage` must write a clean store keeping every record the damage did not touch.
//
// Reproduce a run with RMQSTORE_DAMAGE_SEED=<seed> (printed on failure); widen it with
// RMQSTORE_DAMAGE_SECONDS (default 45: the whole campaign is time-bounded, about a minute with
// the last round's damages).
//
// EXTENSION POINT: `DamageCheck`s run after every damage (RepairDamageChecks.swift has the
// repair ones). A check that writes makes its own copy of the damaged store (`StoreCopy(copying:)`),
// so it cannot affect another.

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
    static func checks(records: [String: [FixtureRecord]]) -> [any DamageCheck] {
        [ReadOnlyCommandsFinish(), VerifyReportsDamage(), RecoverRepairsAndUndoRestores(), SalvageKeepsUndamagedRecords(records: records)]
    }

    /// Known limits: a problem containing every pattern of an entry is recorded as a known issue
    /// (intermittent: whether the seeded sequence hits one depends on the time budget).
    static let knownGaps: [(patterns: [String], reason: Comment)] = salvageKeepsUncheckedFields + [
        // recover rebuilds the index from the log as putKey would; a STORETIMESTAMP flipped below
        // the first record's time of its index file then gives a header with beginTimestamp
        // after endTimestamp, which verify rates index.bad-header (the log's time went back,
        // which verify itself only notes as info).
        ([": STORETIMESTAMP of", "recover left consume queue/index damage before the log end", "index.bad-header"],
         "recover: a STORETIMESTAMP flipped backwards at an index file's end makes the rebuilt header's times decrease, as RocketMQ's putKey would write it"),
    ]

    /// RocketMQ's CRC covers only the body: a record whose QUEUEID, TOPIC or SYSFLAG was changed
    /// still passes RocketMQ's checks. Salvage drops it as lost when the field now holds what no
    /// broker writes (SYSFLAG bits above 10, a negative QUEUEID, a topic with '/'); otherwise it
    /// keeps it as it now reads, in another queue or with other flags, which no check can tell.
    static let salvageKeepsUncheckedFields: [(patterns: [String], reason: Comment)] =
        [": QUEUEID of", ": TOPIC of", ": SYSFLAG of"].map { damage in
            ([damage, "salvage keeps every undamaged record: ", "verify of the salvaged store"],
             "salvage: a header field outside the body CRC was changed; the record passes RocketMQ's checks and is kept as it reads")
        }

    @Test func seededSingleDamages() throws {
        let environment = ProcessInfo.processInfo.environment
        let seed = environment["RMQSTORE_DAMAGE_SEED"].flatMap(UInt64.init) ?? 0x5EED_0007
        let budget = environment["RMQSTORE_DAMAGE_SECONDS"].flatMap(Double.init) ?? 45
        var random = SplitMix64(seed: seed)
        let records = try Dictionary(uniqueKeysWithValues: Self.scenarios.map { ($0, try FixtureRecord.load($0)) })
        let checks = Self.checks(records: records)
        let start = Date()
        var applied = 0
        var reportedInvisible = 0
        var perKind: [String: Int] = [:]
        var problems: [String] = []
        // Round-robin over the kinds so every kind runs even when the budget is short.
        round: while true {
            for kind in StoreDamager.kinds {
                if Date().timeIntervalSince(start) > budget && applied >= StoreDamager.kinds.count { break round }
                let scenario = Self.scenarios[applied % Self.scenarios.count]
                let copy = try StoreCopy(scenario)
                defer { copy.remove() }
                var damager = StoreDamager(store: copy.store, records: records[scenario]!, random: random)
                var damage = try damager.apply(kind)
                damage.scenario = scenario
                random = damager.random
                applied += 1
                perKind[kind, default: 0] += 1
                for check in checks {
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
        print("damage campaign: checks \(checks.map(\.name)); damages per kind \(StoreDamager.kinds.map { "\($0)×\(perKind[$0] ?? 0)" })")
        #expect(applied >= StoreDamager.kinds.count)
        for problem in problems {
            if let gap = Self.knownGaps.first(where: { $0.patterns.allSatisfy(problem.contains) }) {
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
