// A store the engine wrote (`put`, index files rotating every 500 entries), its consume queues
// and index then rebuilt from the log: by `rebuild` (buffered index writes, the index thread) and
// by `recover` with the index lost (the same pipeline). Both must give back the engine's files
// byte for byte, every rotated index file included (file names carry the clock, so the index
// files are compared in order).

import Foundation
import TestSupport
import Testing

@Suite struct RebuildAgainstEngineTests {
    static let sizes = ["--commitlog-file-size", "262144", "--cq-file-size", "2000", "--index-slots", "97", "--index-entries", "500"]

    /// A store written by `rmqstore put` with the sizes above: 3,000 messages, 0–2 KEYS each.
    static func engineStore() throws -> String {
        let store = NSTemporaryDirectory() + "rmqstore-engine-\(UUID().uuidString)/store"
        var rng = SplitMix64(seed: 42)
        var lines = ""
        for i in 0..<3000 {
            let keys = (0..<Int(rng.next() % 3)).map { _ in "k\(rng.next() % 700)" }.joined(separator: " ")
            let body = String(repeating: "b", count: 1 + Int(rng.next() % 200))
            lines += "{\"topic\":\"T\(i % 3)\",\"queueId\":\(i % 2),\"body\":\"\(body)\",\"tags\":\"t\(i % 5)\",\"keys\":\"\(keys)\"}\n"
        }
        let put = try CLI.run(["put", store] + sizes, input: Data(lines.utf8))
        #expect(put.status == 0, "\(put.stderr)")
        return store
    }

    /// `<parent of path>/<name>`.
    static func sibling(of path: String, _ name: String) -> String {
        URL(fileURLWithPath: path).deletingLastPathComponent().appendingPathComponent(name).path
    }

    /// The consume queue files by path and the index files' contents in name order.
    static func derived(_ store: String) -> (queues: [String: Data], index: [Data]) {
        let all = RepairCLI.snapshot(store)
        let queues = all.filter { $0.key.hasPrefix("consumequeue/") }
        let index = all.filter { $0.key.hasPrefix("index/") }.sorted { $0.key < $1.key }.map(\.value)
        return (queues, index)
    }

    @Test func rebuildAndRecoverGiveBackTheEnginesFiles() throws {
        let store = try Self.engineStore()
        defer { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: store).deletingLastPathComponent().path) }
        let engine = Self.derived(store)
        #expect(engine.index.count >= 5, "the index rotates")
        #expect(engine.queues.count >= 6)

        let rebuilt = Self.sibling(of: store, "rebuilt")
        try FileManager.default.copyItem(atPath: store, toPath: rebuilt)
        for directory in ["consumequeue", "index"] { try FileManager.default.removeItem(atPath: rebuilt + "/" + directory) }
        let rebuild = try RepairCLI.run(["rebuild", rebuilt, "--apply", "--salvage-dir", rebuilt + "-salvage"] + Self.sizes)
        #expect(rebuild.status == 0, "\(rebuild.stdout)\(rebuild.stderr)")
        let fromRebuild = Self.derived(rebuilt)
        #expect(fromRebuild.queues == engine.queues)
        #expect(fromRebuild.index == engine.index)

        let recovered = Self.sibling(of: store, "recovered")
        try FileManager.default.copyItem(atPath: store, toPath: recovered)
        try FileManager.default.removeItem(atPath: recovered + "/index")
        FileManager.default.createFile(atPath: recovered + "/abort", contents: nil)
        let recover = try RepairCLI.run(["recover", recovered, "--apply", "--salvage-dir", recovered + "-salvage"] + Self.sizes)
        #expect(recover.status == 0, "\(recover.stdout)\(recover.stderr)")
        #expect(Self.derived(recovered).index == engine.index)
        // The journals' digests of the new trees hold: undo finds them as the repairs left them.
        for (copy, salvage) in [(rebuilt, rebuilt + "-salvage"), (recovered, recovered + "-salvage")] {
            let undo = try RepairCLI.run(["undo", salvage + "/journal.json", "--apply"])
            #expect(undo.status == 0, "\(copy): \(undo.stdout)\(undo.stderr)")
        }
    }
}
