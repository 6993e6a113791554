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

/// Reads one unit's physical offset (the test's own reading, not QueueUnitDigest's).
enum QueueUnitDigestProbe {
    static func physicalOffset(_ location: ConsumeQueueLocation, unit: Int64, fileSize: Int64) throws -> Int64 {
        let position = unit * Int64(ConsumeQueueUnit.size)
        guard let file = location.files.last(where: { $0.fromOffset <= position }) else { return 0 }
        let bytes = try FileSystem.read(file.path, offset: position - file.fromOffset, count: 8)
        return bytes.reduce(Int64(0)) { $0 << 8 | Int64($1) }
    }
}
