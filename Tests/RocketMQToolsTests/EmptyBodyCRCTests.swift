// A record without body bytes has BODYCRC 0 (the broker writes crc32 of the body, 0 for none);
// RocketMQ checks the CRC only when the body length is > 0, so a changed BODYCRC of such a record
// passes the store's check. verify reports it as a CRC mismatch at the record, recover treats
// it as damage in the middle of the log, and salvage leaves that record out (found by the
// damage campaign, seed 90210).

import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import TestSupport
import Testing

@Suite struct EmptyBodyCRCTests {
    static let scenario = "rocketmq-4.9.8/sync_flush"

    /// A copy of the fixture with the BODYCRC of an empty-body record in the middle of the log
    /// changed; returns the store and the record's file, position and physical offset.
    static func damagedCopy() throws -> (store: String, file: SegmentFile, position: Int, physical: Int64) {
        let store = try RepairFixtures.copy(scenario)
        let layout = try StoreLayout.discover(store, options: RepairFixtures.storeOptions(scenario))
        var empties: [(SegmentFile, Int)] = []
        try CommitLogWalker(layout: layout).walk { event in
            if case .message(let file, let record) = event, record.check.success, record.bodyLength == 0 {
                #expect(record.bodyCRC == 0, "RocketMQ wrote an empty body with BODYCRC \(record.bodyCRC)")
                empties.append((file, record.position))
            }
            return .proceed
        }
        try #require(empties.count >= 3)
        let (file, position) = empties[empties.count / 2]
        let handle = try #require(FileHandle(forUpdatingAtPath: file.path))
        try handle.seek(toOffset: UInt64(position + 9))  // BODYCRC is bytes 8..<12 of the record
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: UInt64(position + 9))
        try handle.write(contentsOf: [byte ^ 0x4B])
        try handle.close()
        return (store, file, position, file.fromOffset + Int64(position))
    }

    @Test func verifyReportsItAsDamageAtTheRecord() throws {
        let damaged = try Self.damagedCopy()
        defer { try? FileManager.default.removeItem(atPath: damaged.store) }
        let layout = try StoreLayout.discover(damaged.store, options: RepairFixtures.storeOptions(Self.scenario))
        var findings: [Finding] = []
        let summary = StoreVerifier(layout: layout, options: VerifyOptions(lockHeld: false)).run { findings.append($0) }
        #expect(summary.exitCode == 65)
        let finding = try #require(findings.first { $0.code == "record.crc-mismatch" })
        #expect(finding.severity == .damaged)
        #expect(finding.file == damaged.file.relativePath)
        #expect(finding.position == Int64(damaged.position))
        #expect(finding.physicalOffset == damaged.physical)
        #expect(finding.expected == "0")
    }

    @Test func recoverStopsAndSalvageLeavesOnlyThatRecordOut() throws {
        let damaged = try Self.damagedCopy()
        defer { try? FileManager.default.removeItem(atPath: damaged.store) }
        let options = try RepairFixtures.storeOptions(Self.scenario)
        let layout = try StoreLayout.discover(damaged.store, options: options)
        let plan = try StoreRecoverer(layout: layout).plan()
        #expect(plan.verdict == .midLogDamage)
        #expect(plan.endOffset == damaged.physical)

        let output = FileManager.default.temporaryDirectory.appendingPathComponent("rmqstore-salvage-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        let report = try StoreSalvager(layout: layout, output: output).run()
        #expect(report.lost.map(\.physicalOffset) == [damaged.physical])
        var clean: [Finding] = []
        _ = StoreVerifier(layout: try StoreLayout.discover(output, options: options), options: VerifyOptions(lockHeld: false))
            .run { if $0.severity == .damaged { clean.append($0) } }
        #expect(clean.isEmpty, "the salvaged store still has damage: \(clean.map(\.code))")
    }
}
