// `rmqstore undo` on a real store after a real rebuild: a dry run by default, the plan in text
// and NDJSON, and a refusal (exit 65, nothing changed) once the rebuilt files changed again,
// which --force overrides after saving the changed versions.

import Foundation
import TestSupport
import Testing

@Suite struct UndoCLITests {
    /// `corrupt_d_cq_missing` rebuilt with the CLI: (store, journal, the store before).
    static func rebuilt() throws -> (store: String, journal: String, before: [String: Data]) {
        let store = try copyStore("rocketmq-4.9.8/corrupt_d_cq_missing")
        let before = RepairCLI.snapshot(store)
        let salvage = store + "/../salvage"
        let rebuild = try RepairCLI.run(["rebuild", store, "--apply", "--salvage-dir", salvage] + RepairCLITests.sizes)
        #expect(rebuild.status == 0, "\(rebuild.stdout)\(rebuild.stderr)")
        #expect(rebuild.stdout.contains("/journal.json --apply)"))
        return (store, salvage + "/journal.json", before)
    }

    @Test func undoIsADryRunUntilApplied() throws {
        let (store, journal, before) = try Self.rebuilt()
        let rebuilt = RepairCLI.snapshot(store)
        let dry = try RepairCLI.run(["undo", journal])
        #expect(dry.status == 1, "\(dry.stdout)\(dry.stderr)")
        #expect(dry.stdout.contains("restore: consumequeue"))
        #expect(dry.stdout.contains("dry run"))
        #expect(RepairCLI.snapshot(store) == rebuilt)
        let json = jsonLines(try RepairCLI.run(["undo", journal, "--format", "json"]))
        #expect(json.filter { $0["type"] as? String == "undo-plan" }.allSatisfy { $0["verdict"] as? String == "restore" })
        #expect(json.last?["type"] as? String == "summary")
        let apply = try RepairCLI.run(["undo", journal, "--apply"])
        #expect(apply.status == 0, "\(apply.stdout)\(apply.stderr)")
        #expect(RepairCLI.snapshot(store) == before)
        let again = try RepairCLI.run(["undo", journal])
        #expect(again.status == 0)
        #expect(again.stdout.contains("already undone"))
    }

    /// A consume queue file written after the rebuild (a broker dispatching new records): undo
    /// refuses with 65 and changes nothing; --force restores and keeps the newer tree.
    @Test func aTreeChangedSinceIsRefusedThenKeptWhenForced() throws {
        let (store, journal, before) = try Self.rebuilt()
        let queue = try #require(FileManager.default.enumerator(atPath: store + "/consumequeue")?
            .compactMap { $0 as? String }.sorted().first { $0.hasSuffix("00000000000000000000") })
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: store + "/consumequeue/" + queue))
        try handle.seek(toOffset: 1000)
        try handle.write(contentsOf: Data(repeating: 0x42, count: 20))
        try handle.close()
        let changed = RepairCLI.snapshot(store)

        let dry = try RepairCLI.run(["undo", journal])
        #expect(dry.status == 65, "\(dry.stdout)")
        #expect(dry.stdout.contains("changed-since: consumequeue"))
        let refused = try RepairCLI.run(["undo", journal, "--apply"])
        #expect(refused.status == 65, "\(refused.stdout)\(refused.stderr)")
        #expect(refused.stderr.contains("changed after the repair"))
        #expect(RepairCLI.snapshot(store) == changed)

        let forced = try RepairCLI.run(["undo", journal, "--apply", "--force"])
        #expect(forced.status == 0, "\(forced.stdout)\(forced.stderr)")
        #expect(RepairCLI.snapshot(store) == before)
        let salvage = URL(fileURLWithPath: journal).deletingLastPathComponent().path
        let displaced = try #require(try FileManager.default.contentsOfDirectory(atPath: salvage).first { $0.hasPrefix("undo-displaced-") })
        #expect(FileManager.default.contents(atPath: salvage + "/" + displaced + "/consumequeue/" + queue) == changed["consumequeue/" + queue])
    }
}
