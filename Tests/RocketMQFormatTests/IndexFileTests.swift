import Foundation
import RocketMQFormat
import TestSupport
import Testing

@Suite struct IndexFileTests {
    static let fixtureLayout = IndexFileLayout(hashSlotNum: 64, indexNum: 256)!

    /// Index files of a store in name order (oldest first) with their bytes.
    static func indexFiles(_ scenario: String) throws -> [(name: String, bytes: [UInt8])] {
        let dir = Fixtures.store(scenario) + "/index"
        return try AuxFixtureFiles.list(dir).map { ($0, try AuxFixtureFiles.bytes(dir + "/" + $0)) }
    }

    @Test(arguments: Fixtures.all)
    func matchesExpectedIndexFiles(_ scenario: String) throws {
        let expected = try AuxFixtureFiles.json(Fixtures.expected(scenario, "index.json")) as! [String: Any]
        let expectedFiles = expected["indexFiles"] as! [[String: Any]]
        let files = try Self.indexFiles(scenario)
        #expect(files.map(\.name) == expectedFiles.map { $0["file"] as! String })
        for (file, want) in zip(files, expectedFiles) {
            #expect(file.bytes.count == want["fileSize"] as! Int)
            #expect(IndexFileLayout.infer(fileSize: file.bytes.count) == Self.fixtureLayout)
            try file.bytes.withUnsafeBytes { raw in
                let view = try IndexFileView(bytes: raw, layout: Self.fixtureLayout)
                let h = want["header"] as! [String: Any]
                let header = IndexHeader(
                    beginTimestamp: AuxFixtureFiles.int64(h["beginTimestamp"])!,
                    endTimestamp: AuxFixtureFiles.int64(h["endTimestamp"])!,
                    beginPhyOffset: AuxFixtureFiles.int64(h["beginPhyOffset"])!,
                    endPhyOffset: AuxFixtureFiles.int64(h["endPhyOffset"])!,
                    hashSlotCount: Int32(h["hashSlotCount"] as! Int), indexCount: Int32(h["indexCount"] as! Int))
                #expect(view.header == header, "\(scenario) \(file.name)")

                let slots = (want["slots"] as! [String: Int]).map { (Int($0.key)!, Int32($0.value)) }.sorted { $0.0 < $1.0 }
                #expect(view.nonEmptySlots.map(\.slot) == slots.map(\.0))
                #expect(view.nonEmptySlots.map(\.value) == slots.map(\.1))

                let entries = (want["entries"] as! [[NSNumber]]).map { $0.map(\.int64Value) }
                var actual: [[Int64]] = []
                for index in 0..<Self.fixtureLayout.indexNum {
                    let entry = try #require(view.entry(index))
                    if entry.isAllZero { continue }
                    actual.append([Int64(index), Int64(entry.keyHash), entry.phyOffset, Int64(entry.timeDiff), Int64(entry.prevIndex)])
                }
                #expect(actual == entries, "\(scenario) \(file.name)")
                #expect(view.entries.count == view.header.entryCount)
            }
        }
    }

    /// Stores whose index a normal recovery leaves unchanged (no abort file, index present), so
    /// the queries recorded on the recovered copy must come out of the files as they are.
    static let queryScenarios = Fixtures.all.filter {
        !$0.hasSuffix("crash_killed") && !$0.hasSuffix("corrupt_e_index_missing")
            && !$0.hasSuffix("corrupt_a2_torn_file_truncated")
    }

    @Test(arguments: queryScenarios)
    func lookupMatchesIndexServiceQueryOffset(_ scenario: String) throws {
        let expected = try AuxFixtureFiles.json(Fixtures.expected(scenario, "index.json")) as! [String: Any]
        let recorded = try #require(expected["queriesAfterRecovery"] as? [String: Any])
        let maxNum = recorded["queryMaxNum"] as! Int
        let begin = AuxFixtureFiles.int64(recorded["queryBegin"])!
        let end = AuxFixtureFiles.int64(recorded["queryEnd"])!
        let queries = recorded["queries"] as! [[String: Any]]
        #expect(!queries.isEmpty)
        let files = try Self.indexFiles(scenario)
        let buffers = files.map(\.bytes)
        // Keep the arrays alive while views point into them.
        try withExtendedLifetime(buffers) {
            let views = try buffers.map { bytes in
                try bytes.withUnsafeBytes { raw in
                    try IndexFileView(bytes: UnsafeRawBufferPointer(start: raw.baseAddress, count: raw.count), layout: Self.fixtureLayout)
                }
            }
            for query in queries {
                let key = IndexKey(topic: query["topic"] as! String, key: query["key"] as! String)
                let want = (query["indexServiceQueryOffset"] as! [NSNumber]).map(\.int64Value)
                let got = IndexFileView.queryOffsets(in: views, keyHash: key.hash, begin: begin, end: end, maxNum: maxNum)
                #expect(got == want, "\(scenario) \(key.keyString)")

                // The per-file step, chained by hand, gives the same answer.
                var chained: [Int64] = []
                for view in views.reversed() {
                    let step = view.queryOffsets(keyHash: key.hash, begin: begin, end: end, maxNum: maxNum, alreadyFound: chained.count)
                    chained += step.offsets
                    if !step.continueToOlderFiles { break }
                }
                #expect(chained == want)
            }
        }
    }

    /// Replays every entry of each fixture index file through `IndexFileWriter.putKey`, with the
    /// store time of the record it points at, and expects the exact file bytes back.
    @Test(arguments: ["rocketmq-4.9.8/basic", "rocketmq-4.9.8/delayed", "rocketmq-5.3.3/v5_basic"])
    func writerReproducesFixtureFiles(_ scenario: String) throws {
        var storeTimes: [Int64: Int64] = [:]
        for line in try AuxFixtureFiles.ndjson(Fixtures.expected(scenario, "messages.ndjson")) where line["type"] as? String == "msg" {
            storeTimes[AuxFixtureFiles.int64(line["physicalOffset"])!] = AuxFixtureFiles.int64(line["storeTimestamp"])!
        }
        var previous = IndexHeader()
        for file in try Self.indexFiles(scenario) {
            var rebuilt = [UInt8](repeating: 0, count: Self.fixtureLayout.fileSize)
            try file.bytes.withUnsafeBytes { raw in
                let view = try IndexFileView(bytes: raw, layout: Self.fixtureLayout)
                try rebuilt.withUnsafeMutableBytes { out in
                    let writer = try IndexFileWriter(bytes: out, layout: Self.fixtureLayout)
                    writer.initializeNewFile(previousEndPhyOffset: previous.endPhyOffset, previousEndTimestamp: previous.endTimestamp)
                    for (_, entry) in view.entries {
                        let storeTime = try #require(storeTimes[entry.phyOffset])
                        #expect(writer.putKey(keyHash: entry.keyHash, phyOffset: entry.phyOffset, storeTimestamp: storeTime))
                    }
                    if view.header.indexCount == Int32(Self.fixtureLayout.indexNum) {
                        #expect(writer.isFull)
                        #expect(!writer.putKey(keyHash: 1, phyOffset: 1, storeTimestamp: 1))
                    }
                }
                previous = view.header
            }
            #expect(rebuilt == file.bytes, "\(scenario) \(file.name)")
        }
    }

    @Test func layout() throws {
        #expect(IndexFileLayout.default.fileSize == 420_000_040)
        #expect(IndexFileLayout.infer(fileSize: 420_000_040) == .default)
        #expect(Self.fixtureLayout.fileSize == 5416)
        #expect(IndexFileLayout.infer(fileSize: 5416) == Self.fixtureLayout)
        #expect(IndexFileLayout.infer(fileSize: 5417) == nil)
        #expect(IndexFileLayout.infer(fileSize: 40) == nil)
        #expect(IndexFileLayout.infer(fileSize: -1) == nil)
        #expect(IndexFileLayout(hashSlotNum: 0, indexNum: 10) == nil)
        #expect(IndexFileLayout(hashSlotNum: 10, indexNum: 1) == nil)
        #expect(IndexFileLayout(hashSlotNum: Int.max, indexNum: 10) == nil)
        #expect(Self.fixtureLayout.slotPosition(3) == 52)
        #expect(Self.fixtureLayout.entryPosition(1) == 40 + 256 + 20)
        #expect(throws: FormatError.self) { try Self.fixtureLayout.validate(fileSize: 5415) }
        try Self.fixtureLayout.validate(fileSize: 5416)
    }

    @Test func keyHash() {
        #expect(JavaString.hashCode("TopicTest#KEY1") == -1_656_969_516)
        #expect(IndexKey(topic: "TopicTest", key: "KEY1").hash == 1_656_969_516)
        #expect(IndexKey.normalizedHash(Int32.min) == 0)
        #expect(IndexKey.hash(ofKeyString: "polygenelubricants") == 0)
        #expect(IndexKey(topic: "TopicA", key: "Aa").hash == IndexKey(topic: "TopicA", key: "BB").hash)
        let key = IndexKey(topic: "Tópic", key: "ключ")
        let viaBytes = Array(key.topic.utf8).withUnsafeBytes { topic in
            Array(key.key.utf8).withUnsafeBytes { IndexKey.hash(topic: topic, key: $0) }
        }
        #expect(viaBytes == key.hash)
        #expect(key.slot(in: Self.fixtureLayout) == Int(key.hash) % 64)
    }

    @Test func headerAndEntryRoundTrip() throws {
        let header = IndexHeader(
            beginTimestamp: 1_795_296_057_255, endTimestamp: -2, beginPhyOffset: 3, endPhyOffset: 240_703,
            hashSlotCount: 64, indexCount: 256)
        let bytes = header.encoded()
        #expect(bytes.count == 40)
        #expect(try bytes.withUnsafeBytes { try IndexHeader(decoding: $0) } == header)
        let entry = IndexEntry(keyHash: 12345, phyOffset: 0x7FFF_0000_0000_0001, timeDiff: -1, prevIndex: 7)
        let entryBytes = entry.encoded()
        #expect(entryBytes.count == 20)
        #expect(try entryBytes.withUnsafeBytes { try IndexEntry(decoding: $0, at: 0) } == entry)
        #expect(entry.timestamp(beginTimestamp: 5000) == 4000)
        [UInt8](repeating: 0, count: 39).withUnsafeBytes { raw in
            #expect(throws: FormatError.self) { try IndexHeader(decoding: raw) }
            #expect(throws: FormatError.self) { try IndexEntry(decoding: raw, at: 20) }
            #expect(throws: FormatError.self) { try IndexFileView(bytes: raw, layout: Self.fixtureLayout) }
        }
    }

    /// A fresh file (indexCount 0 on disk), the timeDiff quirk, and chain walking on a tiny file.
    @Test func writerOnFreshFile() throws {
        let layout = IndexFileLayout(hashSlotNum: 4, indexNum: 4)!
        var file = [UInt8](repeating: 0, count: layout.fileSize)
        try file.withUnsafeMutableBytes { raw in
            let writer = try IndexFileWriter(bytes: raw, layout: layout)
            // Inherited from a previous file: the first entry's timeDiff is relative to it.
            writer.initializeNewFile(previousEndPhyOffset: 100, previousEndTimestamp: 10_000)
            #expect(writer.header.indexCount == 0 && writer.header.effectiveIndexCount == 1)
            #expect(writer.putKey(keyHash: 5, phyOffset: 100, storeTimestamp: 15_500))
            #expect(writer.header.beginTimestamp == 15_500)
            #expect(writer.putKey(keyHash: 9, phyOffset: 200, storeTimestamp: 17_600))
            #expect(writer.putKey(keyHash: 6, phyOffset: 300, storeTimestamp: 18_000))
            #expect(writer.isFull)
            #expect(!writer.putKey(keyHash: 5, phyOffset: 400, storeTimestamp: 19_000))
            #expect(!writer.putKey(keyHash: -1, phyOffset: 400, storeTimestamp: 19_000))
            #expect(writer.header == IndexHeader(
                beginTimestamp: 15_500, endTimestamp: 18_000, beginPhyOffset: 100, endPhyOffset: 300,
                hashSlotCount: 2, indexCount: 4))
        }
        try file.withUnsafeBytes { raw in
            let view = try IndexFileView(bytes: raw, layout: layout)
            #expect(view.entry(1) == IndexEntry(keyHash: 5, phyOffset: 100, timeDiff: 5, prevIndex: 0))
            #expect(view.entry(2) == IndexEntry(keyHash: 9, phyOffset: 200, timeDiff: 2, prevIndex: 1))
            #expect(view.slotValue(1) == 2 && view.slotValue(2) == 3 && view.slotValue(0) == 0)
            #expect(view.entry(4) == nil && view.slotValue(4) == nil && view.slotValue(-1) == nil)
            // Slot 1 holds 5 and 9; only hash matches are returned, newest first.
            #expect(view.queryOffsets(keyHash: 9, begin: 0, end: .max, maxNum: 64).offsets == [200])
            #expect(view.queryOffsets(keyHash: 5, begin: 0, end: .max, maxNum: 64).offsets == [100])
            #expect(view.queryOffsets(keyHash: 5, begin: 0, end: .max, maxNum: 1, alreadyFound: 1).offsets == [])
            // Entry 1's claimed time is 15_500 + 5 s = 20_500: outside [0, 20_000].
            #expect(view.queryOffsets(keyHash: 5, begin: 0, end: 20_000, maxNum: 64).offsets == [])
            #expect(view.queryOffsets(keyHash: 13, begin: 0, end: .max, maxNum: 64).offsets == [])
        }
    }

    /// Corrupt slot values and chains (loops, out-of-range links) must end the walk, not trap.
    @Test func lookupOnGarbageNeverTraps() throws {
        let layout = IndexFileLayout(hashSlotNum: 8, indexNum: 16)!
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            var file = (0..<layout.fileSize).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Keep chains mostly in range so the walk gets somewhere.
            file.setBigEndian(Int32.random(in: -2...20, using: &rng), at: 36)
            for slot in 0..<8 { file.setBigEndian(Int32.random(in: -1...17, using: &rng), at: layout.slotPosition(slot)) }
            for k in 0..<16 {
                file.setBigEndian(Int32.random(in: -1...17, using: &rng), at: layout.entryPosition(k) + 16)
                file.setBigEndian(Int32.random(in: 0...7, using: &rng), at: layout.entryPosition(k))
            }
            try file.withUnsafeBytes { raw in
                let view = try IndexFileView(bytes: raw, layout: layout)
                for hash in Int32(0)..<8 {
                    let result = view.queryOffsets(keyHash: hash, begin: 0, end: .max, maxNum: 64)
                    #expect(result.offsets.count <= 64)
                }
                _ = view.entries
            }
            try file.withUnsafeMutableBytes { raw in
                let writer = try IndexFileWriter(bytes: raw, layout: layout)
                _ = writer.putKey(keyHash: Int32.random(in: 0...1000, using: &rng), phyOffset: 1, storeTimestamp: .random(in: .min ... .max, using: &rng))
            }
        }
    }
}
