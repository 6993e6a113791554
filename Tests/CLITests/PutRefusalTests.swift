// `rmqstore put` opens a store the way a broker starts. On a store whose start would throw
// records away it must refuse and change nothing; on one whose start cuts nothing it appends.

import Foundation
import TestSupport
import Testing

@Suite struct PutRefusalTests {
    static let line = Data("{\"topic\":\"TopicA\",\"queueId\":0,\"body\":\"x\"}\n".utf8)

    static func put(_ store: String) throws -> RunResult { try CLI.run(["put", store], input: line) }

    /// A body CRC flipped in the last file: normal recovery would cut every record after it.
    @Test func aStoreWhoseStartCutsRecordsIsRefusedUntouched() throws {
        let store = try copyStore("rocketmq-4.9.8/corrupt_b2_crc_flip_last_file")
        let before = RepairCLI.snapshot(store)
        let result = try Self.put(store)
        #expect(result.status == 65, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains("would cut the log at 789579"))
        #expect(result.stderr.contains("rmqstore recover"))
        #expect(RepairCLI.snapshot(store) == before)
    }

    /// `crash_killed`: abnormal recovery, but only zeros follow the cut: the put goes in.
    @Test func aCrashedStoreWhoseTailIsZerosTakesThePut() throws {
        let store = try copyStore("rocketmq-4.9.8/crash_killed")
        let result = try Self.put(store)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("\"physicalOffset\":1615470"))
    }
}
