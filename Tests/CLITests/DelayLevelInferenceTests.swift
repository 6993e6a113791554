// A store written by a broker with another `messageDelayLevel`: its schedule queues' units carry
// other deliver times (tagsCode = STORETIMESTAMP + delay). Without --delay-levels the commands
// must take the delays the store shows, not the default table.

import Foundation
import RocketMQFormat
import TestSupport
import Testing

@Suite struct DelayLevelInferenceTests {
    static let custom = DelayLevelTable(parsing: "2s 6s 12s 40s 2m 3m 4m 5m 6m 7m 8m 9m 10m 11m 21m 31m 2h 3h")!

    /// Rewrites every schedule unit as a broker with `custom` would have written it.
    static func rewriteScheduleQueues(_ store: String) throws -> [String: Data] {
        let root = store + "/consumequeue/" + DelayLevelTable.scheduleTopic
        var files: [String: Data] = [:]
        for queue in try FileManager.default.contentsOfDirectory(atPath: root) {
            let level = Int32(queue)! + 1
            for name in try FileManager.default.contentsOfDirectory(atPath: root + "/" + queue) {
                let path = root + "/" + queue + "/" + name
                var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
                bytes.withUnsafeMutableBytes { raw in
                    for position in stride(from: 0, through: raw.count - 20, by: 20) {
                        let unit = try! ConsumeQueueUnit(decoding: UnsafeRawBufferPointer(raw), at: position)
                        guard unit.isValid, !unit.isPreBlank else { continue }
                        let tagsCode = unit.tagsCode - DelayLevelTable.default.delay(level: level)! + custom.delay(level: level)!
                        raw.storeBytes(of: tagsCode.bigEndian, toByteOffset: position + 12, as: Int64.self)
                    }
                }
                try Data(bytes).write(to: URL(fileURLWithPath: path))
                files["\(queue)/\(name)"] = Data(bytes)
            }
        }
        return files
    }

    @Test func commandsTakeTheDelaysTheScheduleQueuesShow() throws {
        let copy = try StoreCopy("rocketmq-4.9.8/delayed")
        defer { copy.remove() }
        let rewritten = try Self.rewriteScheduleQueues(copy.store)
        #expect(!rewritten.isEmpty)

        let verify = try CLI.run(["verify", copy.store])
        #expect(verify.status == 0, "\(verify.stdout)")
        // With the default table given explicitly, every rewritten unit disagrees.
        let strict = try CLI.run(["verify", "--format", "json", "--delay-levels", DelayLevelTable.defaultLevels, copy.store])
        #expect(strict.status == 1)
        #expect(jsonLines(strict).contains { $0["code"] as? String == "cq.unit-mismatch" })

        // rebuild writes the same deliver times back.
        let rebuild = try CLI.run(["rebuild", copy.store, "--apply", "--salvage-dir", copy.root + "/salvage"])
        #expect(rebuild.status == 0, "\(rebuild.stdout)\(rebuild.stderr)")
        let root = copy.store + "/consumequeue/" + DelayLevelTable.scheduleTopic + "/"
        for (file, bytes) in rewritten {
            #expect(try Data(contentsOf: URL(fileURLWithPath: root + file)) == bytes, "\(file)")
        }
    }

    @Test func tableAdjustment() {
        let table = DelayLevelTable.default
        #expect(table.adjusted(toObserved: [3: 10_000, 18: 7_200_000]) == nil)
        let adjusted = table.adjusted(toObserved: [3: 12_000])
        #expect(adjusted?.delays.count == 18 && adjusted?.delay(level: 3) == 12_000 && adjusted?.delay(level: 2) == 5_000)
        #expect(table.adjusted(toObserved: [20: 3_000])?.delays.suffix(3) == [7_200_000, 7_200_000, 3_000])
        #expect(table.text == DelayLevelTable.defaultLevels)
        #expect(DelayLevelTable(parsing: Self.custom.text) == Self.custom)
        #expect(!DelayLevelTable.isConfigurable(1_500) && DelayLevelTable.isConfigurable(86_400_000))
    }
}
