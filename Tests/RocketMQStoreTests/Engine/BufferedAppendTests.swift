import Foundation
import RocketMQFormat
import RocketMQStore
import TestSupport
import Testing

/// A file whose appends are buffered (`MappedFile.bufferAppends`, the rebuild's consume queues)
/// ends up byte for byte what appending into the map gives: through buffer refills, an append
/// larger than the buffer, the file filling up, a flush, and an unmap with bytes still buffered.
@Suite struct BufferedAppendTests {
    static func appendAll(_ file: MappedFile, _ pieces: [[UInt8]]) -> [Bool] {
        pieces.map { piece in piece.withUnsafeBytes { file.append($0) } }
    }

    static func pieces(seed: UInt64) -> [[UInt8]] {
        var rng = SplitMix64(seed: seed)
        func next() -> UInt64 { rng.next() >> 33 }
        return (0..<400).map { i in
            let count = i % 37 == 0 ? Int(next() % 300) : 20  // mostly units, some odd and large
            return (0..<count).map { _ in UInt8(truncatingIfNeeded: next() | 1) }
        }
    }

    @Test(arguments: [16, 64, 100, 4096])
    func bufferedAppendsWriteWhatMappedAppendsWrite(capacity: Int) throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        let size = 8192
        let pieces = Self.pieces(seed: UInt64(capacity))
        let mapped = try MappedFile(path: dir + "/mapped", fileFromOffset: 0, fileSize: size, create: true)
        let buffered = try MappedFile(path: dir + "/buffered", fileFromOffset: 0, fileSize: size, create: true)
        buffered.bufferAppends(capacity: capacity)
        #expect(Self.appendAll(buffered, pieces) == Self.appendAll(mapped, pieces))
        #expect(buffered.wrotePosition == mapped.wrotePosition)
        #expect(buffered.isFull == mapped.isFull)
        mapped.flush()
        buffered.flush()
        #expect(FileManager.default.contents(atPath: dir + "/buffered") == FileManager.default.contents(atPath: dir + "/mapped"))
        mapped.unmap()
        buffered.unmap()
    }

    /// Past `MappedFile.earlyWritebackStep` the written bytes' writeback is started during
    /// the build; the file still ends up what appending into the map gives.
    @Test func buffersLargerThanTheWritebackStepWriteWhatMappedAppendsWrite() throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        let size = 3 * MappedFile.earlyWritebackStep + 4096
        let mapped = try MappedFile(path: dir + "/mapped", fileFromOffset: 0, fileSize: size, create: true)
        let buffered = try MappedFile(path: dir + "/buffered", fileFromOffset: 0, fileSize: size, create: true)
        buffered.bufferAppends(capacity: 64 << 10)
        var rng = SplitMix64(seed: 11)
        var unit = [UInt8](repeating: 0, count: 20)
        while !mapped.isFull {
            for i in unit.indices { unit[i] = UInt8(truncatingIfNeeded: rng.next()) }
            let a = unit.withUnsafeBytes { mapped.append($0) }
            #expect(unit.withUnsafeBytes { buffered.append($0) } == a)
            if !a { break }
        }
        #expect(buffered.wrotePosition == mapped.wrotePosition)
        #expect(buffered.wrotePosition > 3 * MappedFile.earlyWritebackStep)
        mapped.flush()
        buffered.flush()
        #expect(FileManager.default.contents(atPath: dir + "/buffered") == FileManager.default.contents(atPath: dir + "/mapped"))
        mapped.unmap()
        buffered.unmap()
    }

    @Test func unmapWritesWhatIsStillBuffered() throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        let file = try MappedFile(path: dir + "/f", fileFromOffset: 0, fileSize: 4096, create: true)
        file.bufferAppends(capacity: 1024)
        let unit = [UInt8](repeating: 0xAB, count: 20)
        for _ in 0..<10 { #expect(unit.withUnsafeBytes { file.append($0) }) }
        // Nothing written yet: the map (and the file) still read as zeros.
        #expect(file.readableBytes[0] == 0)
        file.unmap()
        let contents = try #require(FileManager.default.contents(atPath: dir + "/f"))
        #expect(contents.count == 4096)
        #expect(Array(contents.prefix(200)) == [UInt8](repeating: 0xAB, count: 200))
        #expect(contents.dropFirst(200).allSatisfy { $0 == 0 })
    }

    @Test func aConsumeQueueBuiltWithBufferedUnitsMatchesOneBuiltInTheMap() throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        // A first unit at queue offset 5 (pre-blank units first), a rollover every 50 units.
        func build(_ root: String, buffer: Int) throws {
            let queue = ConsumeQueueWriter(storeRoot: root, topic: "T", queueId: 0, mappedFileSizeConsumeQueue: 1000,
                                           appendBufferSize: buffer)
            for i in 5..<180 {
                try queue.putMessagePositionInfo(offset: Int64(i) * 100, size: 100, tagsCode: Int64(i) &* 31, cqOffset: Int64(i))
            }
            #expect(queue.maxOffsetInQueue == 180)
            queue.flush()
            queue.shutdown()
        }
        try build(dir + "/a", buffer: 0)
        try build(dir + "/b", buffer: 64)
        let names = try FileManager.default.contentsOfDirectory(atPath: dir + "/a/consumequeue/T/0").sorted()
        #expect(names.count == 4)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/b/consumequeue/T/0").sorted() == names)
        for name in names {
            #expect(FileManager.default.contents(atPath: dir + "/b/consumequeue/T/0/" + name)
                    == FileManager.default.contents(atPath: dir + "/a/consumequeue/T/0/" + name))
        }
    }

    @Test func anIndexBuiltWithBufferedEntriesMatchesOneBuiltInTheMap() throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        // 150 entries per file: the build rotates through several files, and a buffer of 7
        // entries is written many times per file.
        let layout = try #require(IndexFileLayout(hashSlotNum: 17, indexNum: 150))
        func build(_ root: String, buffer: Int) throws -> [String] {
            let index = IndexWriter(storeRoot: root, layout: layout, entryBufferCapacity: buffer)
            index.clock = { 1_700_000_000_000 }  // names step on by a millisecond at each rotation
            for i in 0..<400 {
                let request = DispatchRequest(
                    topic: "T\(i % 3)", queueId: 0, commitLogOffset: Int64(i) * 100, msgSize: 100, tagsCode: 0,
                    storeTimestamp: 1_700_000_000_000 + Int64(i) * 1_000, consumeQueueOffset: Int64(i),
                    keys: i % 5 == 0 ? "" : "k\(i % 11) k\(i)", uniqKey: "U\(i)")
                try index.buildIndex(request)
            }
            index.flush()
            index.shutdown()
            return try FileManager.default.contentsOfDirectory(atPath: root + "/index").sorted()
        }
        let names = try build(dir + "/a", buffer: 0)
        #expect(names.count >= 5)
        #expect(try build(dir + "/c", buffer: 4096) == names)
        #expect(try build(dir + "/b", buffer: 7) == names)
        for name in names {
            #expect(FileManager.default.contents(atPath: dir + "/b/index/" + name) == FileManager.default.contents(atPath: dir + "/a/index/" + name),
                    "index file \(name)")
        }
    }

    /// A buffered file (entries, header and slots off the map) answers queries made during the
    /// build from everything put so far, as one written in the map does.
    @Test func queriesDuringABufferedBuildSeeEveryPut() throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        let layout = try #require(IndexFileLayout(hashSlotNum: 31, indexNum: 1000))
        let plain = IndexWriter(storeRoot: dir + "/a", layout: layout, entryBufferCapacity: 0)
        let buffered = IndexWriter(storeRoot: dir + "/b", layout: layout, entryBufferCapacity: 16)
        for index in [plain, buffered] { index.clock = { 1_700_000_000_000 } }
        for i in 0..<300 {
            let request = DispatchRequest(
                topic: "T", queueId: 0, commitLogOffset: Int64(i) * 100, msgSize: 100, tagsCode: 0,
                storeTimestamp: 1_700_000_000_000 + Int64(i) * 1_000, consumeQueueOffset: Int64(i),
                keys: "k\(i % 7)", uniqKey: "U\(i)")
            try plain.buildIndex(request)
            try buffered.buildIndex(request)
            if i % 50 == 49 {
                for key in ["k0", "k3", "U\(i)", "U0"] {
                    let expected = plain.queryOffsets(topic: "T", key: key, maxNum: 64, begin: 0, end: .max)
                    #expect(!expected.isEmpty)
                    #expect(buffered.queryOffsets(topic: "T", key: key, maxNum: 64, begin: 0, end: .max) == expected, "\(key) after \(i + 1) puts")
                }
            }
        }
        plain.shutdown()
        buffered.shutdown()
    }

    /// `IndexFileDigest` (the slots hashed from memory while they are written) gives what
    /// hashing the finished file gives, for the file being written after rotations or without.
    @Test(arguments: [149, 150, 400])
    func bufferedDigestsEqualTheFinishedFilesDigests(puts: Int) throws {
        let dir = EngineTestSupport.temporaryDirectory("buffered-append")
        defer { EngineTestSupport.remove(dir) }
        let layout = try #require(IndexFileLayout(hashSlotNum: 17, indexNum: 150))
        let index = IndexWriter(storeRoot: dir, layout: layout, entryBufferCapacity: 7)
        index.clock = { 1_700_000_000_000 }
        for i in 0..<puts {
            try index.buildIndex(DispatchRequest(
                topic: "T", queueId: 0, commitLogOffset: Int64(i) * 100, msgSize: 100, tagsCode: 0,
                storeTimestamp: 1_700_000_000_000 + Int64(i) * 1_000, consumeQueueOffset: Int64(i),
                keys: "", uniqKey: "U\(i)"))
        }
        // Files filled earlier were written whole and their buffers freed at rotation.
        let digests = try index.files.map { file in try file.bufferedDigest()?.compute() }
        #expect(digests.count == (puts + 148) / 149)
        #expect(digests.dropLast().allSatisfy { $0 == nil })
        let last = try #require(digests.last ?? nil)
        index.flush()
        #expect(try ContentDigest.of(index.files.last!.mappedFile.path) == last)
        index.shutdown()
    }
}
