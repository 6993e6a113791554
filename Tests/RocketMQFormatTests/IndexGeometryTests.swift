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
        var random = SeededBytes(seed: UInt64(slots * 31 + entries))
        let noise = (0..<geometry.fileSize).map { _ in UInt8(truncatingIfNeeded: random.next()) }
        noise.withUnsafeBytes { raw in _ = IndexFileLayout.confirmed(byContents: raw) }
    }
}
