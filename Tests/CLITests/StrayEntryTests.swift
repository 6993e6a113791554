// Stray names under consumequeue/<topic>/<queueId>/ and index/, rated as RocketMQ 4.9.8's load()
// treats them (StrayLoadRule): verify's severity, preview's load failure, recover setting the
// file aside (undo bringing it back).

import Foundation
import TestSupport
import Testing

@Suite struct StrayEntryTests {
    struct Case: CustomStringConvertible, Sendable {
        var path: String
        var size: Int
        /// verify's severity for store.stray.
        var severity: String
        /// preview reports a load failure naming the file.
        var failsLoad: Bool
        /// recover --apply sets it aside.
        var setAside: Bool
        var description: String { "\(path) (\(size) bytes)" }
    }

    static let cases: [Case] = [
        // MappedFileQueue.load: length check, then Long.parseLong (uncaught) → load() fails.
        Case(path: "consumequeue/TopicA/0/00000000000000000000.bak", size: 1280, severity: "repairable", failsLoad: true, setAside: true),
        Case(path: "consumequeue/TopicA/0/notes.txt", size: 5, severity: "repairable", failsLoad: true, setAside: true),
        // IndexService.load catches NumberFormatException: skipped.
        Case(path: "index/readme", size: 5, severity: "info", failsLoad: false, setAside: false),
        // A numeric name is loaded as an index file.
        Case(path: "index/123", size: 5416, severity: "repairable", failsLoad: false, setAside: true),
        // Not an int queue directory: skipped by loadConsumeQueue.
        Case(path: "consumequeue/TopicA/x/00000000000000000000", size: 1280, severity: "info", failsLoad: false, setAside: false),
    ]

    @Test(arguments: cases)
    func ratedAsRocketMQLoadsIt(_ stray: Case) throws {
        let store = try copyStore("rocketmq-4.9.8/sync_flush")
        let path = store + "/" + stray.path
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: stray.size).write(to: URL(fileURLWithPath: path))
        // The entry verify names: the file, or the queue directory that is not a queue id.
        let named = stray.path.contains("/x/") ? "consumequeue/TopicA/x" : stray.path

        let verify = try CLI.run(["verify", "--format", "json", store] + RepairCLITests.sizes)
        let finding = jsonLines(verify).first { $0["code"] as? String == "store.stray" && $0["file"] as? String == named }
        #expect(finding?["severity"] as? String == stray.severity, "\(verify.stdout)")

        let preview = try CLI.run(["preview", store, "--format", "json"] + RepairCLITests.sizes)
        let failure = jsonLines(preview).first { $0["type"] as? String == "loadFailure" }
        #expect((failure?["path"] as? String == stray.path) == stray.failsLoad, "\(preview.stdout)")

        let damaged = RepairCLI.snapshot(store)
        let salvage = store + "/../salvage"
        let recover = try CLI.run(["recover", store, "--apply", "--salvage-dir", salvage] + RepairCLITests.sizes)
        #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
        #expect(FileManager.default.fileExists(atPath: path) == !stray.setAside)
        if stray.setAside {
            let after = try CLI.run(["verify", store] + RepairCLITests.sizes)
            #expect(after.status == 0, "\(after.stdout)")
            let undo = try CLI.run(["undo", salvage + "/journal.json", "--apply"])
            #expect(undo.status == 0, "\(undo.stderr)")
            #expect(RepairCLI.snapshot(store) == damaged)
        }
    }
}
