import Foundation
import RocketMQFormat
import RocketMQStore
import Testing

@Suite struct MappedFileQueueTests {
    @Test func createsFilesAtFullSizeNamedByOffsetAndRollsOver() throws {
        let dir = EngineTestSupport.temporaryDirectory("mfq")
        defer { EngineTestSupport.remove(dir) }
        let queue = MappedFileQueue(directory: dir + "/q", mappedFileSize: 4096, preallocatesNextFile: true)
        let first = try #require(try queue.lastMappedFile(startOffset: 0))
        #expect(first.fileName == "00000000000000000000")
        #expect(first.isFirstCreateInQueue)
        // The allocate service pre-creates the next file.
        #expect(FileManager.default.fileExists(atPath: dir + "/q/00000000000000004096"))
        let chunk = [UInt8](repeating: 7, count: 1024)
        for _ in 0..<4 { #expect(chunk.withUnsafeBytes { first.append($0) }) }
        #expect(!chunk.withUnsafeBytes { first.append($0) })
        let second = try #require(try queue.lastMappedFile(startOffset: 0))
        #expect(second.fileFromOffset == 4096)
        #expect(!second.isFirstCreateInQueue)
        #expect(chunk.withUnsafeBytes { second.append($0) })
        #expect(queue.maxOffset == 5120)
        queue.flushAll()
        #expect(queue.flushedWhere == 5120)
        let attributes = try FileManager.default.attributesOfItem(atPath: dir + "/q/00000000000000008192")
        #expect((attributes[.size] as! NSNumber).intValue == 4096)
        queue.shutdown()

        // Reload: positions at file size, then truncate to 4200 (§11.5): file 8192 deleted.
        let reloaded = MappedFileQueue(directory: dir + "/q", mappedFileSize: 4096)
        try reloaded.load()
        #expect(reloaded.mappedFiles.count == 3)
        reloaded.truncateDirtyFiles(4200)
        #expect(reloaded.mappedFiles.map(\.fileFromOffset) == [0, 4096])
        #expect(reloaded.maxOffset == 4200)
        #expect(!FileManager.default.fileExists(atPath: dir + "/q/00000000000000008192"))
        // Bytes past the truncation point are left as they were (in-memory truncation only).
        #expect(reloaded.lastMappedFile!.wrotePosition == 104)
        #expect(reloaded.lastMappedFile!.readableBytes[200] == 7)
        #expect(reloaded.lastMappedFile!.readableBytes[1024] == 0)
        reloaded.shutdown()
    }

    @Test func refusesFilesOfAnotherSize() throws {
        let dir = EngineTestSupport.temporaryDirectory("mfq-size")
        defer { EngineTestSupport.remove(dir) }
        FileManager.default.createFile(atPath: dir + "/00000000000000000000", contents: Data(count: 100))
        let queue = MappedFileQueue(directory: dir, mappedFileSize: 4096)
        #expect(throws: StoreError.self) { try queue.load() }
    }

    @Test func consumeQueueFillsPreBlankForAFirstUnitPastZero() throws {
        let dir = EngineTestSupport.temporaryDirectory("cq")
        defer { EngineTestSupport.remove(dir) }
        let writer = ConsumeQueueWriter(storeRoot: dir, topic: "T", queueId: 0, mappedFileSizeConsumeQueue: 100)
        try writer.putMessagePositionInfo(offset: 500, size: 90, tagsCode: 7, cqOffset: 7)
        // 100-byte files hold 5 units: file 100 (units 5..<10) gets pre-blank units 5, 6 then unit 7.
        let file = try #require(writer.queue.lastMappedFile)
        #expect(file.fileFromOffset == 100)
        #expect(file.wrotePosition == 60)
        let blank = try ConsumeQueueUnit(decoding: file.readableBytes, at: 0)
        #expect(blank.isPreBlank)
        #expect(writer.unit(at: 7) == ConsumeQueueUnit(physicalOffset: 500, size: 90, tagsCode: 7))
        #expect(writer.minOffsetInQueue == 7)
        // Re-dispatching the same record is ignored (offset + size ≤ maxPhysicOffset).
        try writer.putMessagePositionInfo(offset: 500, size: 90, tagsCode: 7, cqOffset: 7)
        #expect(writer.maxOffsetInQueue == 8)
        writer.truncateDirtyLogicFiles(500)
        #expect(writer.maxOffsetInQueue == 7)
        writer.shutdown()
    }
}
