import RocketMQFormat
import TestSupport
import Testing

/// The index geometry (maxHashSlotNum, maxIndexNum) is not stored in the files; these tests
/// check that the entries tell it even when the file size alone does not.
@Suite struct IndexGeometryTests {
    /// Every fixture index file with entries confirms the 64/256 its broker was configured with.
    @Test(arguments: Fixtures.all)
    func fixtureFilesConfirmTheirGeometry(_ scenario: String) throws {
        for file in try IndexFileTests.indexFiles(scenario) {
            file.bytes.withUnsafeBytes { raw in
                let header = try? IndexHeader(decoding: raw)
                let confirmed = IndexFileLayout.confirmed(byContents: raw)
                if let header, header.indexCount >= 2 {
                    #expect(confirmed == IndexFileTests.fixtureLayout, "\(scenario) \(file.name)")
                } else {
                    #expect(confirmed == nil, "\(scenario) \(file.name)")
                }
            }
        }
    }

    /// Puts a fixture's index entries again, through RocketMQ's putKey, into files of geometries
    /// the N = 4·H size rule cannot explain, and expects the entries to give them back.
    @Test(arguments: [(50, 300), (7, 40), (1000, 120), (64, 257), (3, 2000)])
    func contentsTellGeometriesTheSizeRuleMisses(slots: Int, entries: Int) throws {
        let geometry = try #require(IndexFileLayout(hashSlotNum: slots, indexNum: entries))
        #expect(IndexFileLayout.infer(fileSize: geometry.fileSize) != geometry)
        let source = try #require(try IndexFileTests.indexFiles("rocketmq-4.9.8/basic").first)
        var rebuilt = [UInt8](repeating: 0, count: geometry.fileSize)
        try source.bytes.withUnsafeBytes { raw in
            let view = try IndexFileView(bytes: raw, layout: IndexFileTests.fixtureLayout)
            try rebuilt.withUnsafeMutableBytes { out in
                let writer = try IndexFileWriter(bytes: out, layout: geometry)
                writer.initializeNewFile(previousEndPhyOffset: 0, previousEndTimestamp: 0)
                for (_, entry) in view.entries {
                    guard writer.putKey(keyHash: entry.keyHash, phyOffset: entry.phyOffset,
                                        storeTimestamp: entry.timestamp(beginTimestamp: view.header.beginTimestamp)) else { break }
                }
            }
        }
        rebuilt.withUnsafeBytes { raw in
            #expect(IndexFileLayout.confirmed(byContents: raw) == geometry, "\(slots)/\(entries)")
        }
        // A file holding one entry fewer than the header claims no longer lines up.
        rebuilt.withUnsafeMutableBytes { raw in
            let count = Int(raw.load(fromByteOffset: 36, as: Int32.self).bigEndian)
            raw.storeBytes(of: Int32(count + 1).bigEndian, toByteOffset: 36, as: Int32.self)
        }
        rebuilt.withUnsafeBytes { raw in
            #expect(IndexFileLayout.confirmed(byContents: raw) != geometry)
        }
        // Arbitrary bytes never trap and are never confirmed by chance at these sizes.
        var random = SplitMix64(seed: UInt64(slots * 31 + entries))
        let noise = (0..<geometry.fileSize).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        noise.withUnsafeBytes { raw in _ = IndexFileLayout.confirmed(byContents: raw) }
    }

    /// `slot(forKeyHash:)` multiplies by a reciprocal instead of dividing: it must equal
    /// `keyHash % H` for every hash and every H a layout allows, the extremes included.
    @Test func slotsEqualTheRemainderByTheSlotCount() throws {
        var generator = SystemRandomNumberGenerator()
        let limit = (Int(Int32.max) - IndexFileLayout.headerSize - 2 * IndexFileLayout.entrySize) / IndexFileLayout.slotSize
        var counts = [1, 2, 3, 7, 64, 4_999_999, 5_000_000, 5_000_001, limit - 1, limit]
        counts += (0..<200).map { _ in Int.random(in: 1...limit, using: &generator) }
        for count in counts {
            let layout = try #require(IndexFileLayout(hashSlotNum: count, indexNum: 2))
            var hashes: [Int32] = [0, 1, 2, Int32(truncatingIfNeeded: count - 1), Int32(truncatingIfNeeded: count), Int32.max, Int32.max - 1, -1, -7, Int32.min]
            hashes += (0..<2_000).map { _ in Int32.random(in: 0...Int32.max, using: &generator) }
            for hash in hashes {
                let slot = layout.slot(forKeyHash: hash)
                if slot != Int(hash) % count { Issue.record("H \(count), hash \(hash): slot \(slot), remainder \(Int(hash) % count)") }
            }
        }
    }
}
