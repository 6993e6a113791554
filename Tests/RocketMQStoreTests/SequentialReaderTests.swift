import Foundation
import RocketMQStore
import TestSupport
import Testing

/// `SequentialReader` gives exactly the file's bytes for every forward request, whether it
/// falls inside a chunk, straddles chunks (the stitch), asks for more of a straddling span,
/// runs past the end of the file, or is larger than the stitch may copy (a map of the file).
@Suite struct SequentialReaderTests {
    static func makeFile(_ count: Int, seed: UInt64) throws -> (path: String, bytes: [UInt8]) {
        var rng = SplitMix64(seed: seed)
        let bytes = (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let path = try ScratchDirectory.make("sequential-reader") + "/file"
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return (path, bytes)
    }

    /// The window must start with the file's bytes at `position`, hold at least `count` of
    /// them (or all that remain) and nothing past the end of the file.
    static func check(_ window: UnsafeRawBufferPointer, _ bytes: [UInt8], at position: Int, count: Int) {
        let remaining = max(0, bytes.count - position)
        #expect(window.count >= min(count, remaining))
        #expect(window.count <= remaining)
        if window.count > 0 {
            #expect(window.elementsEqual(bytes[position..<position + window.count]), "the window at \(position) differs from the file")
        }
    }

    @Test(arguments: [4096, 5000, 65536], [false, true])
    func recordLikeWalksSeeTheFileBytes(chunkSize: Int, readsAhead: Bool) throws {
        let (path, bytes) = try Self.makeFile(300_001, seed: UInt64(chunkSize))
        let reader = try SequentialReader(path: path, chunkSize: chunkSize, readsAhead: readsAhead)
        var rng = SplitMix64(seed: 7)
        var position = 0
        while position < bytes.count {
            // As a record walk asks: its first 8 bytes, then the whole record.
            Self.check(try reader.bytes(from: position, atLeast: 8), bytes, at: position, count: 8)
            let size = rng.next() % 4 == 0 ? Int(rng.next() % 20_000) + 1 : Int(rng.next() % 1_500) + 1
            Self.check(try reader.bytes(from: position, atLeast: size), bytes, at: position, count: size)
            position += size
        }
        #expect(try reader.bytes(from: bytes.count, atLeast: 8).count == 0)
        #expect(try reader.bytes(from: bytes.count + 10, atLeast: 8).count == 0)
    }

    @Test(arguments: [4096, 9000], [false, true])
    func anyForwardRequestsSeeTheFileBytes(chunkSize: Int, readsAhead: Bool) throws {
        let (path, bytes) = try Self.makeFile(200_000, seed: 11)
        let reader = try SequentialReader(path: path, chunkSize: chunkSize, readsAhead: readsAhead)
        var rng = SplitMix64(seed: UInt64(chunkSize))
        var position = 0
        while position <= bytes.count {
            // Forward by any step, including none and steps that stay inside a stitch.
            position += Int(rng.next() % 3_000)
            let count = Int(rng.next() % 12_000) + 1
            Self.check(try reader.bytes(from: position, atLeast: count), bytes, at: position, count: count)
        }
    }

    @Test(arguments: [false, true])
    func aWalkMayStartInTheMiddleAndJumpAhead(readsAhead: Bool) throws {
        let (path, bytes) = try Self.makeFile(120_000, seed: 5)
        let reader = try SequentialReader(path: path, chunkSize: 4096, readsAhead: readsAhead)
        // recover's second stretch starts at a split point inside the file.
        for (position, count) in [(70_001, 8), (70_001, 5_000), (75_001, 100), (99_999, 30_000), (119_990, 8), (120_000, 1)] {
            Self.check(try reader.bytes(from: position, atLeast: count), bytes, at: position, count: count)
        }
    }

    @Test func requestsLargerThanTheStitchComeFromAMap() throws {
        let (path, bytes) = try Self.makeFile(100_000, seed: 3)
        let reader = try SequentialReader(path: path, chunkSize: 4096)
        Self.check(try reader.bytes(from: 10, atLeast: 8), bytes, at: 10, count: 8)
        // A damaged TOTALSIZE: far more than the file holds; the rest of the file comes back.
        let huge = try reader.bytes(from: 10, atLeast: SequentialReader.largestStitch + 1)
        #expect(huge.count == bytes.count - 10)
        Self.check(huge, bytes, at: 10, count: SequentialReader.largestStitch + 1)
        // And the walk goes on from chunks afterwards.
        Self.check(try reader.bytes(from: 50_000, atLeast: 9_000), bytes, at: 50_000, count: 9_000)
    }

    /// The helper reads ahead while the walk dawdles or hurries; many readers are dropped
    /// mid-file, each stopping its helper first. Every window must still be the file's bytes.
    @Test func theReadAheadHelperNeverHandsOverBytesItIsStillWriting() throws {
        let (path, bytes) = try Self.makeFile(2_000_000, seed: 9)
        var rng = SplitMix64(seed: 99)
        for round in 0..<40 {
            let reader = try SequentialReader(path: path, chunkSize: 4096, readsAhead: true)
            var position = 0
            let stopAt = round % 4 == 0 ? bytes.count : Int(rng.next() % UInt64(bytes.count))
            while position < stopAt {
                let count = Int(rng.next() % 6_000) + 1
                Self.check(try reader.bytes(from: position, atLeast: count), bytes, at: position, count: count)
                if rng.next() % 64 == 0 { usleep(200) }  // the helper catches up
                position += count
            }
        }
    }

    @Test func emptyAndTinyFiles() throws {
        let empty = try ScratchDirectory.make("sequential-reader") + "/empty"
        #expect(FileManager.default.createFile(atPath: empty, contents: Data()))
        #expect(try SequentialReader(path: empty).bytes(from: 0, atLeast: 8).count == 0)
        #expect(try SequentialReader(path: empty, readsAhead: true).bytes(from: 0, atLeast: 8).count == 0)
        let (path, bytes) = try Self.makeFile(5, seed: 1)
        let reader = try SequentialReader(path: path)  // its windows live as long as it does
        Self.check(try reader.bytes(from: 0, atLeast: 8), bytes, at: 0, count: 8)
        #expect(throws: StoreError.self) { try SequentialReader(path: empty + "-missing") }
    }
}
