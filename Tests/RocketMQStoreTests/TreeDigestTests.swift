// A tree digest computed ahead (rebuild hashes the old directories during its walk) is used only
// while the tree is unchanged: any change since, even one that keeps the size, gets a fresh digest.

import Foundation
@testable import RocketMQStore
import TestSupport
import Testing

@Suite struct TreeDigestTests {
    @Test func earlyDigestOnlyWhileTheTreeIsUnchanged() throws {
        let root = try ScratchDirectory.make("rmqstore-treedigest")
        try FileManager.default.createDirectory(atPath: root + "/q/0", withIntermediateDirectories: true)
        try Data(repeating: 7, count: 5000).write(to: URL(fileURLWithPath: root + "/q/0/00000000000000000000"))
        let early = try TreeDigest(of: root + "/q")
        #expect(early.digest == (try ContentDigest.tree(root + "/q")))
        #expect(try early.current() == early.digest)

        // Same size, different bytes.
        let handle = try #require(FileHandle(forUpdatingAtPath: root + "/q/0/00000000000000000000"))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: [9])
        try handle.close()
        let fresh = try ContentDigest.tree(root + "/q")
        #expect(fresh != early.digest)
        #expect(try early.current() == fresh)

        // A new file.
        let again = try TreeDigest(of: root + "/q")
        try Data([1]).write(to: URL(fileURLWithPath: root + "/q/0/00000000000000006000"))
        #expect(try again.current() == (try ContentDigest.tree(root + "/q")))
        #expect(try again.current() != again.digest)
    }

    @Test func missingTree() throws {
        let root = try ScratchDirectory.make("rmqstore-treedigest")
        let absent = try TreeDigest(of: root + "/none")
        #expect(absent.digest == nil)
        #expect(try absent.current() == nil)
        try FileManager.default.createDirectory(atPath: root + "/none", withIntermediateDirectories: true)
        #expect(try absent.current() == (try ContentDigest.tree(root + "/none")))
    }
}
