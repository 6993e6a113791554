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

    /// What a decode says, as one comparable line (the check's failure reason included).
    static func verdict(_ entry: CommitLogEntry) -> String {
        switch entry {
        case .message(let record):
            "message \(record.totalSize) \(record.check.success) \(record.check.msgSize) \(record.check.failure.map { "\($0)" } ?? "-")"
        case .blank(let blank): "blank \(blank.totalSize)"
        case .end(let end): "end \(end.description) \(end.totalSizeField ?? -1) \(end.restIsZero)"
        }
    }

    /// `SequentialReader.entry` gives the mapped decode's verdict and reason at every record
    /// start, with lengths damaged so that fields run past TOTALSIZE, past a chunk or past the
    /// file (each kind of failure the decoder can report).
    @Test func entriesFromChunksMatchTheMappedDecodeEvenWhenDamaged() throws {
        let scenario = "rocketmq-4.9.8/basic"
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<6 {
            let root = try RepairFixtures.copy(scenario)
            let layout = try StoreLayout.discover(root)
            for file in layout.commitLogFiles {
                // Record starts before the damage; the records that straddle a 4 KiB chunk are
                // damaged (those the reader stitches from two chunks).
                var starts: [(position: Int, size: Int)] = []
                try MappedRegion(path: file.path).withBytes { bytes in
                    var position = 0
                    while case .message(let record) = RecordDecoder.decode(bytes, at: position, options: .dispatch), record.totalSize > 0 {
                        starts.append((position, Int(record.totalSize)))
                        position += Int(record.totalSize)
                    }
                }
                guard !starts.isEmpty else { continue }
                let handle = try #require(FileHandle(forUpdatingAtPath: file.path))
                for (start, size) in starts where start / 4096 != (start + size - 1) / 4096 {
                    // TOTALSIZE; BODYLENGTH (after the IPv4 header: 84) made larger but within
                    // TOTALSIZE, so that the topic and properties run past the record; or a tail byte.
                    let (at, value): (Int, Int32) = switch Int.random(in: 0..<3, using: &rng) {
                    case 0: (start, Int32.random(in: 0...200_000, using: &rng))
                    case 1: (start + 84, Int32(Int.random(in: size / 2...size, using: &rng)))
                    default: (start + Int.random(in: 90...(size - 4), using: &rng), Int32.random(in: 0...Int32.max, using: &rng))
                    }
                    try handle.seek(toOffset: UInt64(at))
                    try handle.write(contentsOf: withUnsafeBytes(of: value.bigEndian) { Data($0) })
                }
                try handle.close()
                let reader = try SequentialReader(path: file.path, chunkSize: 4096)
                let mapped = try MappedRegion(path: file.path)
                for (start, _) in starts {
                    let expected = Self.verdict(mapped.withBytes { RecordDecoder.decode($0, at: start, options: .recovery) })
                    #expect(Self.verdict(try reader.entry(at: start, options: .recovery)) == expected, "\(file.name) at \(start)")
                }
            }
        }
    }
}
