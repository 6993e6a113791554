// A store whose index was written with a geometry the file-size rule (N = 4·H) does not
// explain: the commands must read it without --index-slots/--index-entries, from the entries.

import Foundation
import TestSupport
import Testing

@Suite struct IndexGeometryCLITests {
    @Test func commandsReadAnIndexOfUnusualGeometryWithoutOptions() throws {
        let copy = try StoreCopy("rocketmq-4.9.8/basic")
        defer { copy.remove() }
        let salvage = copy.root + "/salvage"
        let rebuild = try CLI.run(["rebuild", copy.store, "--apply", "--salvage-dir", salvage, "--index-slots", "50", "--index-entries", "300"])
        #expect(rebuild.status == 0, "\(rebuild.stdout)\(rebuild.stderr)")
        let files = try FileManager.default.contentsOfDirectory(atPath: copy.store + "/index")
        #expect(!files.isEmpty)
        for name in files {
            let size = try FileManager.default.attributesOfItem(atPath: copy.store + "/index/" + name)[.size] as? Int
            #expect(size == 40 + 4 * 50 + 20 * 300)
        }

        let verify = try CLI.run(["verify", copy.store])
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
        let dump = try CLI.run(["dump", "--what", "index", "--format", "json", copy.store])
        #expect(dump.status == 0, "\(dump.stderr)")

        // Every key RocketMQ's queries recorded finds the same records through the re-written
        // index as through the fixture's own (query keeps the records that really hold the key:
        // RocketMQ's answer also lists hash collisions, such as "Aa" for "BB").
        let original = Fixtures.store("rocketmq-4.9.8/basic")
        let expected = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.expected("rocketmq-4.9.8/basic", "index.json")))) as! [String: Any]
        let queries = (expected["queriesAfterRecovery"] as! [String: Any])["queries"] as! [[String: Any]]
        func offsets(_ store: String, _ query: [String: Any]) throws -> Set<Int64> {
            let run = try CLI.run(["query", store, "--topic", query["topic"] as! String, "--key", query["key"] as! String, "--format", "json"])
            return Set(jsonLines(run).filter { $0["type"] as? String == "msg" }.compactMap { int64($0["physicalOffset"]) })
        }
        for query in queries.prefix(40) {
            let want = try offsets(original, query)
            #expect(!want.isEmpty)
            #expect(want.isSubset(of: Set((query["queryMessageOffsets"] as! [NSNumber]).map(\.int64Value))))
            #expect(try offsets(copy.store, query) == want, "\(query["topic"]!) \(query["key"]!)")
        }
    }

    /// One index file grown by an entry's size still fits some geometry (N + 1 entries) on its
    /// own; the store's geometry comes from the files of the common size, so only that file is
    /// reported.
    @Test func aResizedIndexFileIsTheOneReported() throws {
        let copy = try StoreCopy("rocketmq-4.9.8/sync_flush")
        defer { copy.remove() }
        let names = try FileManager.default.contentsOfDirectory(atPath: copy.store + "/index").sorted()
        try #require(names.count >= 2)
        let handle = try #require(FileHandle(forUpdatingAtPath: copy.store + "/index/" + names[0]))
        try handle.truncate(atOffset: try handle.seekToEnd() + 20)
        try handle.close()
        let verify = try CLI.run(["verify", "--format", "json", copy.store])
        let files = jsonLines(verify).filter { ($0["code"] as? String)?.hasPrefix("index.") == true }.compactMap { $0["file"] as? String }
        #expect(files == ["index/" + names[0]], "\(verify.stdout)")
    }
}
