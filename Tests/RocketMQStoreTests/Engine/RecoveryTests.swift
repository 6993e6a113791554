import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// Opening every 4.9.8 fixture (a copy) with the engine, normally and with an `abort` file
/// added, must recover to what RocketMQ 4.9.8 recovered to (expected/recovery*.json): the same
/// commitlog end, the same consume queue bounds and topic-queue table, or a refusal to load.
@Suite(.serialized) struct RecoveryTests {
    static let scenarios = Fixtures.all.filter { $0.hasPrefix("rocketmq-4.9.8/") }

    static func copyStore(_ scenario: String, abort: Bool) throws -> String {
        let target = EngineTestSupport.temporaryDirectory("recover")
        try FileManager.default.removeItem(atPath: target)
        try FileManager.default.copyItem(atPath: Fixtures.store(scenario), toPath: target)
        if abort { FileManager.default.createFile(atPath: target + "/abort", contents: Data()) }
        return target
    }

    @Test(arguments: scenarios, [false, true])
    func recoversLikeRocketMQ(_ scenario: String, abnormal: Bool) throws {
        let file = abnormal ? "recovery_abnormal.json" : "recovery.json"
        // crash_killed already holds `abort`: its recovery.json is the abnormal recovery.
        guard FileManager.default.fileExists(atPath: Fixtures.expected(scenario, file)) else { return }
        let data = try Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, file)))
        let expected = try JSONSerialization.jsonObject(with: data) as! [String: Any]
        let target = try Self.copyStore(scenario, abort: abnormal || scenario.hasSuffix("crash_killed"))
        defer { EngineTestSupport.remove(target) }
        let loaded = (expected["load"] as! [String: Any])["result"] as! Bool
        guard loaded else {
            #expect(throws: StoreError.self) { try MessageStore.open(target, config: try FixtureReplay.config(scenario)) }
            return
        }
        let store = try MessageStore.open(target, config: try FixtureReplay.config(scenario))
        let after = expected["afterStart"] as! [String: Any]
        #expect(store.commitLog.maxOffset == (after["commitLogMaxOffset"] as! NSNumber).int64Value, "\(scenario) \(file)")
        #expect(store.commitLog.minOffset == (after["commitLogMinOffset"] as! NSNumber).int64Value)
        let queues = after["consumeQueues"] as! [String: [String: Any]]
        for (name, bounds) in queues {
            let parts = name.split(separator: "/")
            let topic = String(parts[0]), queueId = Int32(parts[1])!
            let maxOffset = (bounds["maxOffset"] as! NSNumber).int64Value
            guard let queue = store.dispatcher.consumeQueue(topic: topic, queueId: queueId, create: false) else {
                #expect(maxOffset == 0, "\(scenario) \(file): queue \(name) missing")
                continue
            }
            #expect(queue.maxOffsetInQueue == maxOffset, "\(scenario) \(file): \(name) maxOffset")
            #expect(queue.minOffsetInQueue == (bounds["minOffset"] as! NSNumber).int64Value, "\(scenario) \(file): \(name) minOffset")
            #expect(queue.maxPhysicOffset == (bounds["maxPhysicOffset"] as! NSNumber).int64Value, "\(scenario) \(file): \(name) maxPhysicOffset")
        }
        let table = after["commitLogTopicQueueTable"] as! [String: NSNumber]
        for (key, value) in table where value.int64Value > 0 {
            let dash = key.lastIndex(of: "-")!
            let next = store.commitLog.nextQueueOffset(topic: String(key[..<dash]), queueId: Int32(key[key.index(after: dash)...])!)
            #expect(next == value.int64Value, "\(scenario) \(file): topicQueueTable \(key)")
        }
        try store.close()
        #expect(!FileManager.default.fileExists(atPath: target + "/abort"))
    }
}
