import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport
import Testing

enum RepairFixtures {
    /// A copy of a fixture's store in a fresh temporary directory (fixtures are never changed).
    static func copy(_ scenario: String) throws -> String {
        let base = try ScratchDirectory.make("rmqstore-repair")
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: base + "/store")
        return base + "/store"
    }

    static func storeConfig(_ scenario: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/" + scenario + "/scenario.json"))
        let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        return try #require(json["storeConfig"] as? [String: Any])
    }

    /// The broker's configuration of a fixture, as StoreOptions.
    static func storeOptions(_ scenario: String) throws -> StoreOptions {
        let config = try storeConfig(scenario)
        func int(_ key: String) -> Int64? { (config[key] as? NSNumber)?.int64Value }
        return StoreOptions(
            mappedFileSizeCommitLog: int("mappedFileSizeCommitLog"), mappedFileSizeConsumeQueue: int("mappedFileSizeConsumeQueue"),
            maxHashSlotNum: int("maxHashSlotNum").map(Int.init), maxIndexNum: int("maxIndexNum").map(Int.init))
    }

    /// path (relative to `root`) → bytes, for every file under `root` (optionally one subdirectory).
    static func files(_ root: String, under sub: String = "", excluding: Set<String> = ["lock"]) -> [String: Data] {
        var result: [String: Data] = [:]
        let base = sub.isEmpty ? root : root + "/" + sub
        guard let walker = FileManager.default.enumerator(atPath: base) else { return result }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: base + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue && !excluding.contains(relative) {
                result[relative] = FileManager.default.contents(atPath: base + "/" + relative)
            }
        }
        return result
    }

    struct IndexQuery { var topic: String; var key: String; var expected: [Int64] }

    static func indexQueries(_ scenario: String) throws -> (maxNum: Int, begin: Int64, end: Int64, queries: [IndexQuery]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, "index.json")))
        let json = try #require(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let block = try #require(json["queriesAfterRecovery"] as? [String: Any])
        let queries = (block["queries"] as? [[String: Any]] ?? []).map {
            IndexQuery(topic: $0["topic"] as? String ?? "", key: $0["key"] as? String ?? "",
                       expected: ($0["indexServiceQueryOffset"] as? [NSNumber] ?? []).map(\.int64Value))
        }
        return ((block["queryMaxNum"] as? NSNumber)?.intValue ?? 64, (block["queryBegin"] as? NSNumber)?.int64Value ?? 0,
                (block["queryEnd"] as? NSNumber)?.int64Value ?? .max, queries)
    }

    /// Answers every query of `scenario`'s expected/index.json from the index files of `store`.
    static func checkIndexAnswers(store: String, like scenario: String, options: StoreOptions) throws {
        let layout = try #require(IndexFileLayout(hashSlotNum: options.maxHashSlotNum ?? 5_000_000, indexNum: options.maxIndexNum ?? 20_000_000))
        let index = IndexWriter(storeRoot: store, layout: layout)
        try index.load(lastExitOK: true, indexMsgTimestamp: 0)
        defer { index.shutdown() }
        let queries = try indexQueries(scenario)
        #expect(!queries.queries.isEmpty)
        for query in queries.queries {
            let offsets = index.queryOffsets(topic: query.topic, key: query.key, maxNum: queries.maxNum, begin: queries.begin, end: queries.end)
            #expect(offsets == query.expected, "\(query.topic)#\(query.key)")
        }
    }
}
