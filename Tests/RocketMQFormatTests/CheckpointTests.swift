import Foundation
import RocketMQFormat
import TestSupport
import Testing

@Suite struct CheckpointTests {
    @Test(arguments: Fixtures.all)
    func matchesRecoveryCheckpointBefore(_ scenario: String) throws {
        let recovery = try AuxFixtureFiles.json(Fixtures.expected(scenario, "recovery.json")) as! [String: Any]
        let before = recovery["checkpointBefore"] as! [String: Any]
        let path = Fixtures.store(scenario) + "/checkpoint"
        #expect(AuxFixtureFiles.exists(path) == (before["exists"] as! Bool))
        guard AuxFixtureFiles.exists(path) else { return }
        let bytes = try AuxFixtureFiles.bytes(path)
        #expect(bytes.count == before["fileSize"] as! Int)
        let checkpoint = try bytes.withUnsafeBytes { try StoreCheckpoint(decoding: $0) }
        #expect(checkpoint.physicMsgTimestamp == AuxFixtureFiles.int64(before["physicMsgTimestamp"]))
        #expect(checkpoint.logicsMsgTimestamp == AuxFixtureFiles.int64(before["logicsMsgTimestamp"]))
        #expect(checkpoint.indexMsgTimestamp == AuxFixtureFiles.int64(before["indexMsgTimestamp"]))
        #expect(checkpoint.masterFlushedOffset == AuxFixtureFiles.int64(before["masterFlushedOffset"]) ?? 0)
        #expect(checkpoint.confirmPhyOffset == AuxFixtureFiles.int64(before["confirmPhyOffset"]) ?? 0)
        #expect(checkpoint.encoded() == bytes)
    }

    @Test func version5FieldsAfterShutdown() throws {
        // v5_basic's checkpoint after a clean shutdown has confirmPhyOffset set.
        let recovery = try AuxFixtureFiles.json(Fixtures.expected("rocketmq-5.3.3/v5_basic", "recovery.json")) as! [String: Any]
        let after = recovery["checkpointAfterShutdown"] as! [String: Any]
        let checkpoint = StoreCheckpoint(
            physicMsgTimestamp: AuxFixtureFiles.int64(after["physicMsgTimestamp"])!,
            logicsMsgTimestamp: AuxFixtureFiles.int64(after["logicsMsgTimestamp"])!,
            indexMsgTimestamp: AuxFixtureFiles.int64(after["indexMsgTimestamp"])!,
            masterFlushedOffset: AuxFixtureFiles.int64(after["masterFlushedOffset"])!,
            confirmPhyOffset: AuxFixtureFiles.int64(after["confirmPhyOffset"])!)
        #expect(checkpoint.hasVersion5Fields)
        let bytes = checkpoint.encoded()
        #expect(bytes.count == 4096)
        #expect(try bytes.withUnsafeBytes { try StoreCheckpoint(decoding: $0) } == checkpoint)
        #expect(!StoreCheckpoint(physicMsgTimestamp: 5).hasVersion5Fields)
    }

    @Test func derivedTimestamps() {
        let checkpoint = StoreCheckpoint(physicMsgTimestamp: 10_000, logicsMsgTimestamp: 9_000, indexMsgTimestamp: 5_000)
        #expect(checkpoint.minTimestamp == 6_000)
        #expect(checkpoint.minTimestampIndex == 5_000)
        #expect(StoreCheckpoint(physicMsgTimestamp: 2_000, logicsMsgTimestamp: 9_000).minTimestamp == 0)
        #expect(StoreCheckpoint().minTimestampIndex == 0)
    }

    @Test func shortAndMutableBuffers() throws {
        [UInt8](repeating: 0, count: 23).withUnsafeBytes { raw in
            _ = #expect(throws: FormatError.self) { try StoreCheckpoint(decoding: raw) }
        }
        let short: [UInt8] = (0..<24).map { UInt8($0) }
        let decoded = try short.withUnsafeBytes { try StoreCheckpoint(decoding: $0) }
        #expect(decoded.physicMsgTimestamp == 0x0001_0203_0405_0607 && decoded.confirmPhyOffset == 0)
        var page = [UInt8](repeating: 0xFF, count: 4096)
        let checkpoint = StoreCheckpoint(physicMsgTimestamp: 1, logicsMsgTimestamp: 2, indexMsgTimestamp: 3, confirmPhyOffset: 4)
        page.withUnsafeMutableBytes { #expect(checkpoint.store(into: $0)) }
        #expect(try page.withUnsafeBytes { try StoreCheckpoint(decoding: $0) } == checkpoint)
        #expect(Array(page[40...]).allSatisfy { $0 == 0xFF })
    }
}
