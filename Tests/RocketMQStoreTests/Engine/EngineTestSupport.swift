import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport

/// Helpers shared by the engine tests: temp directories, scenario settings, expected answers.
enum EngineTestSupport {
    static func temporaryDirectory(_ label: String) -> String {
        let path = NSTemporaryDirectory() + "rmqstore-engine-\(label)-\(UUID().uuidString)"
        try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    /// scenario.json → storeConfig.
    static func storeConfig(_ scenario: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/" + scenario + "/scenario.json"))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        return json["storeConfig"] as! [String: Any]
    }

    static func indexLayout(_ scenario: String) throws -> IndexFileLayout {
        let config = try storeConfig(scenario)
        return IndexFileLayout(hashSlotNum: config["maxHashSlotNum"] as! Int, indexNum: config["maxIndexNum"] as! Int)!
    }

    struct IndexQuery {
        var topic: String
        var key: String
        var expected: [Int64]
    }

    /// expected/index.json → queriesAfterRecovery: (topic, key, indexServiceQueryOffset).
    static func indexQueries(_ scenario: String) throws -> (maxNum: Int, begin: Int64, end: Int64, queries: [IndexQuery]) {
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, "index.json")))
        let json = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let block = json["queriesAfterRecovery"] as! [String: Any]
        let queries = (block["queries"] as! [[String: Any]]).map {
            IndexQuery(topic: $0["topic"] as! String, key: $0["key"] as! String,
                       expected: ($0["indexServiceQueryOffset"] as! [NSNumber]).map(\.int64Value))
        }
        return ((block["queryMaxNum"] as! NSNumber).intValue, (block["queryBegin"] as! NSNumber).int64Value,
                (block["queryEnd"] as! NSNumber).int64Value, queries)
    }

    /// Relative path → bytes of every file under `consumequeue/`.
    static func consumeQueueFiles(_ storeRoot: String) -> [String: Data] {
        var result: [String: Data] = [:]
        let root = storeRoot + "/consumequeue"
        guard let walker = FileManager.default.enumerator(atPath: root) else { return result }
        while let relative = walker.nextObject() as? String {
            var isDirectory: ObjCBool = false
            FileManager.default.fileExists(atPath: root + "/" + relative, isDirectory: &isDirectory)
            if !isDirectory.boolValue { result[relative] = FileManager.default.contents(atPath: root + "/" + relative) }
        }
        return result
    }
}
