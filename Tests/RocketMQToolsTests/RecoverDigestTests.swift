// recover adds up the queues' units and the index entries beside its scan, before it knows
// where the log ends, and takes the units and entries past the end back off afterwards. Cut
// that way, each sum must equal the one taken directly up to the end, wherever the end is.

import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import TestSupport
import Testing

@Suite struct RecoverDigestTests {
    static func layout(_ scenario: String) throws -> StoreLayout {
        let options = (try? RepairFixtures.storeOptions(scenario)) ?? StoreOptions()
        return try StoreLayout.discover(Fixtures.store(scenario), options: options)
    }

    @Test(arguments: Fixtures.all)
    func queueUnitsCutEqualUnitsAddedUpToTheCut(_ scenario: String) throws {
        let layout = try Self.layout(scenario)
        let fileSize = layout.consumeQueueFileSize
        let unitSize = Int64(ConsumeQueueUnit.size)
        let logStart = layout.commitLogFiles.first?.fromOffset ?? 0
        var rng = SplitMix64(seed: 11)
        for location in layout.consumeQueues {
            let total = location.files.reduce(Int64(0)) { max($0, ($1.fromOffset + min($1.size, fileSize)) / unitSize) }
            let middleOffset = total > 0 ? try QueueUnitDigestProbe.physicalOffset(location, unit: total / 2, fileSize: fileSize) : logStart
            // The log's first offset as it is, and past the middle unit's record (head files deleted).
            for logMinOffset in [logStart, middleOffset + 1] {
                let whole = try QueueUnitDigest(location, units: total, logMinOffset: logMinOffset, fileSize: fileSize)
                var cuts: Set<Int64> = [0, total, max(0, total - 1), total / 2]
                if total > 0 { cuts.insert(Int64(rng.next() % UInt64(total))) }
                for cut in cuts {
                    var cutDown = whole
                    try cutDown.cut(to: cut, location: location, fileSize: fileSize)
                    let direct = try QueueUnitDigest(location, units: cut, logMinOffset: logMinOffset, fileSize: fileSize)
                    let label = "\(scenario) \(location.topic)/\(location.queueId) cut at \(cut) of \(total), log from \(logMinOffset)"
                    #expect(cutDown.digest.sum == direct.digest.sum && cutDown.digest.count == direct.digest.count, "\(label)")
                    #expect(cutDown.firstPosition == direct.firstPosition && cutDown.units == direct.units, "\(label)")
                }
            }
        }
    }

    @Test(arguments: Fixtures.all)
    func indexEntriesCutEqualEntriesAddedUpToTheEnd(_ scenario: String) throws {
        let layout = try Self.layout(scenario)
        for file in layout.indexFiles {
            guard let indexLayout = layout.indexLayout(of: file), indexLayout.fileSize == Int(file.size) else { continue }
            let region = try MappedRegion(path: file.path, sequential: false)
            try region.withBytes { bytes in
                let view = try IndexFileView(bytes: bytes, layout: indexLayout)
                let count = Int(view.header.effectiveIndexCount)
                guard count > 1 else { return }
                let low = view.header.beginPhyOffset + 1
                let check = IndexFileCheck(view, count: count, low: low)
                #expect(check.problem == nil, "\(scenario) \(file.name): \(check.problem ?? "")")
                let offsets = (1..<count).compactMap { view.entry($0)?.phyOffset }
                var ends = Set(offsets.prefix(3) + offsets.suffix(3))
                ends.formUnion([0, low, view.header.endPhyOffset, view.header.endPhyOffset + 1, offsets[offsets.count / 2], .max])
                for end in ends {
                    // The sum as recover took it before: entries in [low, min(endPhyOffset, end)).
                    var direct = IndexDigest()
                    let high = min(view.header.endPhyOffset, end)
                    for k in 1..<count {
                        let entry = try #require(view.entry(k))
                        guard entry.phyOffset >= low, entry.phyOffset < high else { continue }
                        direct.sum &+= UnitDigest.entry(physicalOffset: entry.phyOffset, keyHash: entry.keyHash, timeDiff: entry.timeDiff)
                        direct.count += 1
                    }
                    #expect(check.digest(view, count: count, endOffset: end) == direct, "\(scenario) \(file.name) end \(end)")
                }
            }
        }
    }
}

extension RecoverDigestTests {
    /// IndexFileCheck tells the first problem in entry order, chains before order, as the
    /// separate passes it replaced did: a bad prevIndex at entry 5 before a negative hash at
    /// entry 10; a slot naming the wrong entry after every entry's chain holds; an entry out of
    /// order only when the chains hold.
    @Test func indexFileCheckTellsTheFirstProblem() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let layout = try Self.layout(scenario)
        let file = try #require(layout.indexFiles.first)
        let indexLayout = try #require(layout.indexLayout(of: file))
        let original = [UInt8](try Data(contentsOf: URL(fileURLWithPath: file.path)))
        func problem(_ change: (inout [UInt8]) -> Void) throws -> String? {
            var bytes = original
            change(&bytes)
            return try bytes.withUnsafeBytes { raw in
                let view = try IndexFileView(bytes: raw, layout: indexLayout)
                return IndexFileCheck(view, count: Int(view.header.effectiveIndexCount), low: 0).problem
            }
        }
        func put(_ value: Int32, at position: Int, in bytes: inout [UInt8]) {
            withUnsafeBytes(of: value.bigEndian) { bytes.replaceSubrange(position..<position + 4, with: $0) }
        }
        #expect(try problem { _ in } == nil)
        let both = try problem { bytes in
            put(999, at: indexLayout.entryPosition(5) + 16, in: &bytes)
            put(-7, at: indexLayout.entryPosition(10), in: &bytes)
        }
        #expect(both?.hasPrefix("entry 5's prevIndex") == true, "\(both ?? "nil")")
        #expect(try problem { put(-7, at: indexLayout.entryPosition(10), in: &$0) } == "entry 10 has a negative key hash")
        let slot = try problem { bytes in
            // A slot naming a different entry than its chain's last.
            let position = indexLayout.slotPosition(0)
            let value = Int32(bigEndian: bytes.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: position, as: Int32.self) })
            put(value == 1 ? 2 : 1, at: position, in: &bytes)
        }
        #expect(slot?.hasPrefix("hash slot 0 names entry") == true, "\(slot ?? "nil")")
        let middle = Int(original.withUnsafeBytes { Int32(bigEndian: $0.loadUnaligned(fromByteOffset: 36, as: Int32.self)) }) / 2
        try #require(middle > 2)
        let order = try problem { bytes in
            // The middle entry's physical offset below its predecessor's (hash and chain untouched).
            let at = indexLayout.entryPosition(middle) + 4
            withUnsafeBytes(of: Int64(1).bigEndian) { bytes.replaceSubrange(at..<at + 8, with: $0) }
        }
        #expect(order == "entry \(middle) points before the previous entry", "\(order ?? "nil")")
    }
}

/// Reads one unit's physical offset (the test's own reading, not QueueUnitDigest's).
enum QueueUnitDigestProbe {
    static func physicalOffset(_ location: ConsumeQueueLocation, unit: Int64, fileSize: Int64) throws -> Int64 {
        let position = unit * Int64(ConsumeQueueUnit.size)
        guard let file = location.files.last(where: { $0.fromOffset <= position }) else { return 0 }
        let bytes = try FileSystem.read(file.path, offset: position - file.fromOffset, count: 8)
        return bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
