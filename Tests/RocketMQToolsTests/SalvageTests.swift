// salvage on a CRC flip in the middle of the log: every record but the damaged one is kept,
// unchanged but for PHYSICALOFFSET, and the source is not touched.

import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

@Suite struct SalvageTests {
    @Test func keepsEveryRecordButTheDamagedOne() throws {
        let scenario = "rocketmq-4.9.8/corrupt_b_crc_flip_middle"
        let source = Fixtures.store(scenario)
        let before = RepairFixtures.files(source)
        let output = ScratchDirectory.reserve("rmqstore-salvage")
        let options = try RepairFixtures.storeOptions(scenario)
        let report = try StoreSalvager(layout: StoreLayout.discover(source, options: options), output: output).run()

        let scenarioJSON = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.root + "/" + scenario + "/scenario.json"))) as? [String: Any]
        let put = try #require((scenarioJSON?["messagesPut"] as? NSNumber)?.intValue)
        #expect(report.kept == put - 1)
        // The damaged record is the one RocketMQ's abnormal recovery stops at.
        let abnormal = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: Fixtures.expected(scenario, "recovery_abnormal.json")))) as? [String: Any]
        let cut = ((abnormal?["afterLoad"] as? [String: Any])?["commitLogMaxOffset"] as? NSNumber)?.int64Value
        #expect(report.lost.map(\.physicalOffset) == [try #require(cut)])
        #expect(RepairFixtures.files(source) == before, "the source changed")

        // Every record the fixture lists (but the damaged one) is in the new store, unchanged.
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        var expected: [String] = []
        for line in text.split(separator: "\n") {
            guard let json = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], json["type"] as? String == "msg",
                  (json["physicalOffset"] as? NSNumber)?.int64Value != cut else { continue }
            expected.append("\(json["topic"]!)/\(json["queueId"]!)/\(json["queueOffset"]!)/\(json["storeTimestamp"]!)/\(json["bodySha256"]!)")
        }
        var salvaged = Set<String>()
        var positionsMatch = true
        let newLayout = try StoreLayout.discover(output, options: options)
        try CommitLogWalker(layout: newLayout).walk { event in
            if case .message(let file, let record) = event, record.check.success {
                salvaged.insert("\(record.topic)/\(record.queueId)/\(record.queueOffset)/\(record.storeTimestamp)/\(SHA256.hexDigest(record.body))")
                if record.physicalOffset != file.fromOffset + Int64(record.position) { positionsMatch = false }
            }
            return .proceed
        }
        #expect(salvaged.count == report.kept)
        #expect(positionsMatch)
        for key in expected { #expect(salvaged.contains(key), "\(key) missing") }

        // The new log has no damaged record.
        var damaged = 0
        _ = StoreVerifier(layout: newLayout).run { if $0.severity == .damaged { damaged += 1 } }
        #expect(damaged == 0)
    }
}
