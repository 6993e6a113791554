// PatchedTreeCopy must write exactly "copy, then change" and give exactly the digests
// ContentDigest.tree computes of the two trees afterwards: patches across chunk borders, inside
// holes, zeroing the last data (the digest's end moves), files without patches, empty and
// all-zero files, and a source holding more than the files copied.

import Foundation
@testable import RocketMQStore
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

@Suite struct PatchedTreeCopyTests {
    static let mebibyte = 1 << 20

    /// Writes `data` at each offset of a new file of `size` bytes (the rest holes).
    static func makeFile(_ path: String, size: Int, data: [(offset: Int, bytes: [UInt8])]) throws {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        try #require(ftruncate(fd, off_t(size)) == 0)
        for (offset, bytes) in data {
            let written = bytes.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(offset)) }
            try #require(written == bytes.count)
        }
    }

    static func random(_ count: Int, _ rng: inout SplitMix64) -> [UInt8] {
        (0..<count).map { _ in UInt8(truncatingIfNeeded: rng.next() | 1) }
    }

    static func contents(_ path: String) -> [UInt8] { [UInt8](FileManager.default.contents(atPath: path) ?? Data()) }

    /// A directory: "a" (data, a hole, data, a hole to its end), "b" (small), "c" (empty),
    /// "d" (written zeros).
    static func makeSource(_ root: String, seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let m = mebibyte
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try makeFile(root + "/a", size: 4 * m, data: [(0, random(m + m / 2, &rng)), (2 * m + m / 2, random(m / 2 + 123, &rng))])
        try makeFile(root + "/b", size: 5000, data: [(0, random(5000, &rng))])
        try makeFile(root + "/c", size: 0, data: [])
        try makeFile(root + "/d", size: 8192, data: [(0, [UInt8](repeating: 0, count: 8192))])
    }

    static func patchesOfA() -> [PatchedTreeCopy.Patch] {
        let m = Int64(mebibyte)
        return [
            PatchedTreeCopy.Patch(offset: 0, bytes: [UInt8](repeating: 0xA5, count: 40)),  // a header
            PatchedTreeCopy.Patch(offset: m - 3, bytes: [1, 2, 3, 4, 5, 6, 7, 8]),  // across the first chunk border
            PatchedTreeCopy.Patch(offset: 2 * m, bytes: [9, 9, 9, 9]),  // inside the hole
            PatchedTreeCopy.Patch(zeros: 100, at: 2 * m + m / 2 - 50),  // across the second data's start
            PatchedTreeCopy.Patch(zeros: Int(m / 2 + 123) - 1000, at: 2 * m + m / 2 + 1000),  // the last data zeroed
        ]
    }

    @Test func copyThenChangeWithTheTreesDigests() throws {
        let root = try ScratchDirectory.make("rmqstore-patchcopy")
        try Self.makeSource(root + "/src", seed: 5)
        let patches = ["a": Self.patchesOfA(), "b": [PatchedTreeCopy.Patch(offset: 4990, bytes: [0, 0, 0, 0, 0, 0, 0, 0, 0, 0])]]
        let digests = try PatchedTreeCopy.copy(["a", "b", "c", "d"], from: root + "/src", to: root + "/dst", patches: patches)
        for name in ["a", "b", "c", "d"] {
            var expected = Self.contents(root + "/src/" + name)
            expected.withUnsafeMutableBytes { bytes in for patch in patches[name] ?? [] { patch.apply(to: bytes, at: 0) } }
            #expect(Self.contents(root + "/dst/" + name) == expected, "\(name)")
        }
        #expect(digests.before.digest == (try ContentDigest.tree(root + "/src")))
        #expect(digests.after == (try ContentDigest.tree(root + "/dst")))
        #expect(digests.before.digest != digests.after)
        // Holes stay holes: "a" has 2 MiB of data in 4 MiB (and one patched page in its hole).
        var st = stat()
        #expect(stat(root + "/dst/a", &st) == 0)
        #expect(Int(st.st_blocks) * 512 < 3 * Self.mebibyte)
    }

    @Test func unpatchedCopyHasTheSameDigest() throws {
        let root = try ScratchDirectory.make("rmqstore-patchcopy")
        try Self.makeSource(root + "/src", seed: 6)
        let digests = try PatchedTreeCopy.copy(["a", "b", "c", "d"], from: root + "/src", to: root + "/dst")
        #expect(digests.before.digest == digests.after)
        #expect(digests.after == (try ContentDigest.tree(root + "/dst")))
        for name in ["a", "b", "c", "d"] { #expect(Self.contents(root + "/dst/" + name) == Self.contents(root + "/src/" + name)) }
    }

    /// Something else in the source (a stray file, a directory): not copied, and the source's
    /// digest is still the whole tree's.
    @Test func sourceWithMoreThanTheCopiedFiles() throws {
        let root = try ScratchDirectory.make("rmqstore-patchcopy")
        try Self.makeSource(root + "/src", seed: 7)
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: root + "/src/stray.tmp"))
        try FileManager.default.createDirectory(atPath: root + "/src/sub", withIntermediateDirectories: true)
        let digests = try PatchedTreeCopy.copy(["a", "b"], from: root + "/src", to: root + "/dst", patches: ["a": Self.patchesOfA()])
        #expect(digests.before.digest == (try ContentDigest.tree(root + "/src")))
        #expect(digests.after == (try ContentDigest.tree(root + "/dst")))
        #expect(try FileSystem.list(root + "/dst").map(\.name) == ["a", "b"])
    }

    /// Chunks submitted to a `WriteBehind` are written in full, each after its `prepare`, also
    /// when it is released without `finish` (its deinit waits for the writer).
    @Test(arguments: [true, false])
    func writeBehindWritesEveryChunk(finishing: Bool) throws {
        let path = try ScratchDirectory.make("rmqstore-writebehind") + "/f"
        let fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0o644)
        try #require(fd >= 0)
        defer { close(fd) }
        var rng = SplitMix64(seed: finishing ? 1 : 2)
        var expected = [UInt8](repeating: 0, count: 50 * 1000)
        do {
            let writer = WriteBehind(chunkSize: 1000, slots: 3)
            for k in 0..<50 {
                let buffer = writer.buffer()
                let bytes = Self.random(1000, &rng)
                buffer.copyBytes(from: bytes)
                expected.replaceSubrange(k * 1000..<(k + 1) * 1000, with: bytes)
                if k % 7 == 0 { expected[k * 1000] = 0xEE }  // what `prepare` changes is written
                writer.submit(count: 1000, to: fd, at: Int64(k * 1000), path: path, prepare: k % 7 == 0 ? { $0[0] = 0xEE } : nil)
            }
            if finishing { try writer.finish() }
        }
        let written = Self.contents(path)
        #expect(written.count == expected.count)
        let difference = written.indices.first { $0 < expected.count && written[$0] != expected[$0] }
        #expect(difference == nil, "first difference at \(difference ?? -1)")
    }

    @Test func patchOutsideTheFileIsRefused() throws {
        let root = try ScratchDirectory.make("rmqstore-patchcopy")
        try Self.makeSource(root + "/src", seed: 8)
        #expect(throws: StoreError.self) {
            try PatchedTreeCopy.copy(["b"], from: root + "/src", to: root + "/dst", patches: ["b": [PatchedTreeCopy.Patch(offset: 4998, bytes: [1, 2, 3])]])
        }
    }

    /// The streamed digest of any split of a file's bytes into updates and zero runs is the digest
    /// of the file.
    @Test func streamedDigestIsTheFilesDigest() throws {
        var rng = SplitMix64(seed: 9)
        for round in 0..<40 {
            var bytes = Self.random(Int(rng.next() % 20_000), &rng)
            // Zero runs inside and at the end.
            for _ in 0..<3 where !bytes.isEmpty {
                let at = Int(rng.next() % UInt64(bytes.count)), count = Int(rng.next() % 3000)
                for i in at..<min(bytes.count, at + count) { bytes[i] = 0 }
            }
            if round % 3 == 0 { bytes += [UInt8](repeating: 0, count: Int(rng.next() % 5000)) }
            let size = bytes.count + (round % 4 == 0 ? 777 : 0)  // unseen zeros past the bytes
            var digest = StreamedFileDigest()
            var position = 0
            while position < bytes.count {
                let count = min(bytes.count - position, Int(rng.next() % 4000) + 1)
                let piece = Array(bytes[position..<position + count])
                if piece.allSatisfy({ $0 == 0 }) && rng.next() % 2 == 0 {
                    digest.skipZeros(Int64(count))
                } else {
                    piece.withUnsafeBytes { digest.update($0) }
                }
                position += count
            }
            let path = try ScratchDirectory.make("rmqstore-streamdigest") + "/f"
            try Self.makeFile(path, size: size, data: [(0, bytes)])
            #expect(digest.finalize(size: Int64(size)) == (try ContentDigest.of(path)), "round \(round)")
        }
    }
}
