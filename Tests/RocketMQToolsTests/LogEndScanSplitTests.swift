// recover's log scan in two stretches on two threads must give what one scan from the start
// gives, wherever the log is split: at record boundaries, inside records (the first stretch
// steps over the split and scans on), in damaged logs, and where the second stretch's deferred
// QUEUEOFFSET check fails at the joint (scanned again after the first).

import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import TestSupport
import Testing

@Suite struct LogEndScanSplitTests {
    static let options = RecordCheckOptions(checkCRC: true, acceptVersion2: true, checksZeroTail: false)

    /// Everything the scan reports, as one comparable text.
    static func summary(_ scan: LogEndScan) -> String {
        var lines: [String] = []
        lines.append("end=\(scan.endOffset) file=\(scan.endFile?.name ?? "-") reason=\(scan.endReason)")
        lines.append("records=\(scan.records) lastStore=\(scan.lastStoreTimestamp) lastQueued=\(scan.lastQueuedStoreTimestamp) lastKeyed=\(scan.lastKeyedOffset)")
        lines.append("after=\(scan.recordsAfterEnd) firstAfter=\(scan.firstValidAfterEnd ?? -1) nonZero=\(scan.bytesAfterEndNonZero)")
        lines.append("headerDamage=\(scan.headerDamage ?? "-") names=\(scan.queueNames.keys.sorted())")
        lines.append("index=\(scan.indexDigests.map { "\($0.sum)/\($0.count)" })")
        for key in scan.queues.keys.sorted() {
            let f = scan.queues[key]!
            let digest = "\(f.expected.sum)/\(f.expected.count)/\(f.expected.lowestQueueOffset)"
            lines.append("\(key) next=\(f.nextQueueOffset) last=\(f.lastPhysicalOffset) first=\(f.firstPhysicalOffset) records=\(f.records) existing=\(f.existingUnits) digest=\(digest)")
        }
        return lines.joined(separator: "\n")
    }

    /// The scan's inputs for a store: its files and, per queue, bounds that digest every unit.
    static func inputs(_ root: String, _ options: StoreOptions) throws -> (StoreLayout, [SegmentFile], [String: Int64]) {
        let layout = try StoreLayout.discover(root, options: options)
        var bounds: [String: Int64] = [:]
        for location in layout.consumeQueues { bounds[location.topic + "/" + String(location.queueId)] = 1 << 40 }
        return (layout, layout.commitLogFiles.filter { $0.size > 0 }, bounds)
    }

    static func scan(_ layout: StoreLayout, _ files: [SegmentFile], _ bounds: [String: Int64], _ split: LogEndScan.Split,
                     chunkSize: Int = 256 << 10) throws -> LogEndScan {
        try LogEndScan(files: files, fileSize: layout.commitLogFileSize, options: options, queueBounds: bounds,
                       coverage: IndexCoverage(layout), split: split, chunkSize: chunkSize)
    }

    /// Record starts of the log (file index, position), in order.
    static func boundaries(_ files: [SegmentFile]) throws -> [LogChainScan.Position] {
        var result: [LogChainScan.Position] = []
        for (index, file) in files.enumerated() {
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                var position = 0
                while case .message(let record) = RecordDecoder.decode(bytes, at: position, options: .dispatch), record.totalSize > 0 {
                    result.append(LogChainScan.Position(file: index, offset: position))
                    position += Int(record.totalSize)
                }
            }
        }
        return result
    }

    /// The scan reads the log through chunks; a fixture's 64 KiB files fit in one of 256 KiB,
    /// so small chunks make records straddle them (the stitch), split or not.
    @Test(arguments: Fixtures.all)
    func smallChunksGiveTheSameScan(_ scenario: String) throws {
        let (layout, files, bounds) = try Self.inputs(Fixtures.store(scenario), RepairFixtures.storeOptions(scenario))
        let whole = Self.summary(try Self.scan(layout, files, bounds, .never))
        for chunkSize in [4096, 5000] {
            #expect(Self.summary(try Self.scan(layout, files, bounds, .never, chunkSize: chunkSize)) == whole, "\(scenario) chunk \(chunkSize)")
            #expect(Self.summary(try Self.scan(layout, files, bounds, .automatic, chunkSize: chunkSize)) == whole, "\(scenario) chunk \(chunkSize), split")
        }
    }

    @Test(arguments: Fixtures.all)
    func anySplitGivesTheSingleScan(_ scenario: String) throws {
        let (layout, files, bounds) = try Self.inputs(Fixtures.store(scenario), RepairFixtures.storeOptions(scenario))
        let single = Self.summary(try Self.scan(layout, files, bounds, .never))
        let starts = try Self.boundaries(files)
        try #require(!starts.isEmpty)
        let step = max(1, starts.count / 25)
        var places = stride(from: 0, to: starts.count, by: step).map { starts[$0] }
        places += [starts[starts.count / 2], starts[starts.count - 1]]
        // Not record starts: inside a record, and past the data of the last file.
        places += [LogChainScan.Position(file: starts[starts.count / 3].file, offset: starts[starts.count / 3].offset + 7),
                   LogChainScan.Position(file: files.count - 1, offset: Int(files[files.count - 1].size) - 64)]
        let clean = !scenario.contains("corrupt") && !scenario.contains("crash")
        for place in places {
            let scan = try Self.scan(layout, files, bounds, .at([place]))
            #expect(Self.summary(scan) == single, "\(scenario) split at file \(place.file) offset \(place.offset)")
            // In a clean log the first stretch ends exactly at every record start, and the joint holds.
            if clean && starts.contains(place) { #expect(scan.split?.joined == true, "\(scenario) at \(place.offset)") }
        }
    }

    /// A record in the middle of the log whose QUEUEOFFSET was changed ends the valid data (header
    /// damage). Split right at it, the second stretch only learns that at the joint.
    @Test func brokenQueueRunAtTheJoint() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let store = try RepairFixtures.copy(scenario)
        let options = try RepairFixtures.storeOptions(scenario)
        var (layout, files, bounds) = try Self.inputs(store, options)
        let starts = try Self.boundaries(files)
        let target = starts[starts.count / 2]
        let handle = try #require(FileHandle(forUpdatingAtPath: files[target.file].path))
        try handle.seek(toOffset: UInt64(target.offset + 27))  // last byte of QUEUEOFFSET (bytes 20..<28)
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: UInt64(target.offset + 27))
        try handle.write(contentsOf: [byte ^ 0x05])
        try handle.close()
        (layout, files, bounds) = try Self.inputs(store, options)
        let single = try Self.scan(layout, files, bounds, .never)
        #expect(single.headerDamage != nil)
        #expect(single.endOffset == files[target.file].fromOffset + Int64(target.offset))
        for place in [target, starts[starts.count / 2 - 1], starts[starts.count / 2 + 1], starts[starts.count / 4]] {
            let split = try Self.scan(layout, files, bounds, .at([place]))
            #expect(Self.summary(split) == Self.summary(single), "split at file \(place.file) offset \(place.offset)")
        }
        // Split right at the damaged record: the second stretch defers its queue's check, and the
        // joint is refused (the second stretch scanned again after the first).
        #expect(try Self.scan(layout, files, bounds, .at([target])).split?.joined == false)
    }

    /// Many stretches, the two threads taking them in turn: any places (record starts, inside
    /// records, repeated, past the data) give the single scan, on every fixture.
    @Test(arguments: Fixtures.all)
    func manyStretchesGiveTheSingleScan(_ scenario: String) throws {
        let (layout, files, bounds) = try Self.inputs(Fixtures.store(scenario), RepairFixtures.storeOptions(scenario))
        let single = Self.summary(try Self.scan(layout, files, bounds, .never))
        let starts = try Self.boundaries(files)
        try #require(starts.count > 8)
        var rng = SplitMix64(seed: UInt64(starts.count))
        for round in 0..<6 {
            var places: [LogChainScan.Position]
            if round == 0 {
                places = (1..<8).map { starts[$0 * starts.count / 8] }
            } else {
                places = (0..<(2 + round)).map { _ in starts[Int(rng.next() % UInt64(starts.count))] }
                if round % 2 == 0 { places.append(LogChainScan.Position(file: places[0].file, offset: places[0].offset + 5)) }
                places.sort { ($0.file, $0.offset) < ($1.file, $1.offset) }
            }
            let scan = try Self.scan(layout, files, bounds, .at(places))
            #expect(Self.summary(scan) == single, "\(scenario) split at \(places.map { "\($0.file):\($0.offset)" })")
            let clean = !scenario.contains("corrupt") && !scenario.contains("crash")
            if clean && round == 0 { #expect(scan.split?.joined == true, "\(scenario)") }
        }
    }

    /// A stretch that steps over a start not on the chain stops at the next start it meets, so
    /// no stretch runs on to the end of the log because of one wrong start.
    @Test func aStretchSteppingOverAStartStopsAtTheNext() throws {
        let scenario = "rocketmq-4.9.8/basic"
        let (layout, files, bounds) = try Self.inputs(Fixtures.store(scenario), RepairFixtures.storeOptions(scenario))
        let starts = try Self.boundaries(files)
        try #require(starts.count > 20)
        let inside = LogChainScan.Position(file: starts[5].file, offset: starts[5].offset + 3)
        let settings = LogChainScan.Settings(files: files, fileSize: layout.commitLogFileSize, options: Self.options, queueBounds: bounds,
                                             coverage: IndexCoverage(layout), damagedRecord: nil, logStartsAtZero: true)
        var scan = LogChainScan(settings)
        try scan.scan(from: starts[0], stops: [inside, starts[10], starts[15]])
        #expect(scan.reachedStop && scan.stoppedAt == 1)
        #expect(scan.endOffset == files[starts[10].file].fromOffset + Int64(starts[10].offset))
        // Stops behind the start are passed by; none reached: to the end of the chain.
        var rest = LogChainScan(settings, defersQueueStarts: true)
        try rest.scan(from: starts[12], stops: [starts[3]])
        #expect(!rest.reachedStop)
    }

    /// The automatic split only for a log past the threshold; found at record starts, in order,
    /// one stretch per `stretch` bytes.
    @Test func splitPointsAreRecordStarts() throws {
        let scenario = "rocketmq-4.9.8/sync_flush"
        let (_, files, _) = try Self.inputs(Fixtures.store(scenario), RepairFixtures.storeOptions(scenario))
        #expect(try LogEndScan.splitPoints(files, options: Self.options).isEmpty)  // a few KiB: not worth a thread
        let starts = try Self.boundaries(files)
        let total = files.reduce(Int64(0)) { $0 + min($1.size, SparseFile.dataEnd(ofFileAt: $1.path)) }
        for stretches in [2, 5] {
            let found = try LogEndScan.splitPoints(files, options: Self.options, threshold: 1, stretch: total / Int64(stretches))
            #expect(found.count == stretches - 1)
            #expect(found.allSatisfy { starts.contains($0) })
            #expect(found == found.sorted { ($0.file, $0.offset) < ($1.file, $1.offset) })
        }
    }
}
