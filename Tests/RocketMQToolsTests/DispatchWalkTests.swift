// The dispatch walk reads the log with pread through small chunks; it must visit exactly the
// records that decoding the mapped files visits (same offsets, same fields), on every fixture
// and on copies whose TOTALSIZE fields are damaged: too small, past the chunk, past the file,
// beyond what the reader would copy for one record, negative.

import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import TestSupport
import Testing

@Suite struct DispatchWalkTests {
    static let options = RecordCheckOptions(checkCRC: false, checksZeroTail: false)

    /// What a walk visits, as comparable lines.
    static func viaWalk(_ layout: StoreLayout, chunkSize: Int) throws -> [String] {
        var lines: [String] = []
        try DispatchWalk.records(layout, options: options, chunkSize: chunkSize) { (record, offset) throws(StoreError) -> Bool in
            lines.append(line(record, offset))
            return true
        }
        return lines
    }

    /// The same rules over the mapped files: from byte 0 while records pass.
    static func viaMap(_ layout: StoreLayout) throws -> [String] {
        var lines: [String] = []
        for file in layout.commitLogFiles {
            try MappedRegion(path: file.path).withBytes { bytes in
                var position = 0
                while let record = RecordDecoder.message(in: bytes, at: position, options: options), record.check.success {
                    lines.append(line(record, file.fromOffset + Int64(position)))
                    position += Int(record.totalSize)
                }
            }
        }
        return lines
    }

    static func line(_ record: MessageRecordView, _ offset: Int64) -> String {
        "\(offset) \(record.totalSize) \(record.physicalOffset) \(record.topic)/\(record.queueId)@\(record.queueOffset) \(record.storeTimestamp) \(record.tagsCode()) \(Array(record.propertiesBytes).hashValue)"
    }

    @Test(arguments: Fixtures.all)
    func visitsWhatTheMappedDecodeVisits(scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        let expected = try Self.viaMap(layout)
        #expect(!expected.isEmpty)
        for chunkSize in [4096, 6000, 256 << 10] {
            #expect(try Self.viaWalk(layout, chunkSize: chunkSize) == expected, "chunk \(chunkSize)")
        }
    }

    @Test func damagedTotalSizesEndTheWalkWhereTheMappedDecodeEnds() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let original = try StoreLayout.discover(Fixtures.store(scenario))
        let offsets = try Self.viaMap(original).map { Int64($0.split(separator: " ")[0])! }
        var rng = SystemRandomNumberGenerator()
        let sizes: [Int32] = [0, 7, 91, 4097, 70_000, 1 << 24 + 1, Int32.max, -5]
        for trial in 0..<24 {
            let root = try RepairFixtures.copy(scenario)
            let layout = try StoreLayout.discover(root)
            let target = offsets[Int.random(in: 0..<offsets.count, using: &rng)]
            let file = try #require(layout.commitLogFiles.last { $0.fromOffset <= target })
            let handle = try #require(FileHandle(forUpdatingAtPath: file.path))
            try handle.seek(toOffset: UInt64(target - file.fromOffset))
            let size = sizes[trial % sizes.count]
            try handle.write(contentsOf: withUnsafeBytes(of: size.bigEndian) { Data($0) })
            try handle.close()
            let expected = try Self.viaMap(layout)
            for chunkSize in [4096, 256 << 10] {
                #expect(try Self.viaWalk(layout, chunkSize: chunkSize) == expected, "TOTALSIZE \(size) at \(target), chunk \(chunkSize)")
            }
        }
    }
}
