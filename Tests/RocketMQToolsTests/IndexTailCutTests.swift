// recover cuts index entries past the new end (IndexTailCut's changes) instead of rebuilding:
// the cut file must be byte for byte the file the index service writes when the records past
// the end are never dispatched.

import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import TestSupport
import Testing

@Suite struct IndexTailCutTests {
    @Test(arguments: ["rocketmq-4.9.8/basic", "rocketmq-4.9.8/transaction", "rocketmq-4.9.8/delayed", "rocketmq-4.9.8/corrupt_base"])
    func cutEqualsNeverDispatched(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario), options: RepairFixtures.storeOptions(scenario))
        let indexLayout = try #require(IndexFileLayout(hashSlotNum: 97, indexNum: 4000))  // small: many chains share slots
        var offsets: [Int64] = []
        try CommitLogWalker(layout: layout, checkOptions: .dispatch).walk { event in
            if case .message(_, let record) = event, record.check.success { offsets.append(record.physicalOffset) }
            return .proceed
        }
        try #require(offsets.count > 4)
        for end in [offsets[offsets.count / 2], offsets[offsets.count * 9 / 10], offsets[offsets.count - 1]] {
            let all = try build(layout, indexLayout, below: .max)
            let expected = try build(layout, indexLayout, below: end)
            let file = try IndexFile(path: all, layout: indexLayout, create: false)
            let patches = IndexTailCut.patches(UnsafeRawBufferPointer(file.mappedFile.bytes), layout: indexLayout, endOffset: end) { offset in
                var timestamp: Int64?
                try? CommitLogWalker(layout: layout, checkOptions: .dispatch).walk { event in
                    if case .message(_, let record) = event, record.physicalOffset == offset { timestamp = record.storeTimestamp; return .finish }
                    return .proceed
                }
                return timestamp
            }
            for patch in patches ?? [] { patch.apply(to: file.mappedFile.bytes, at: 0) }
            let done = patches != nil
            file.flush()
            file.unmap()
            #expect(done, "\(scenario) cut at \(end)")
            #expect(FileManager.default.contents(atPath: all) == FileManager.default.contents(atPath: expected), "\(scenario) cut at \(end)")
        }
    }

    /// The index of every record below `end`, in a new temporary directory; the file's path.
    private func build(_ layout: StoreLayout, _ indexLayout: IndexFileLayout, below end: Int64) throws -> String {
        let root = try ScratchDirectory.make("rmqstore-indexcut")
        let writer = IndexWriter(storeRoot: root, layout: indexLayout)
        writer.clock = { 1_700_000_000_000 }
        try CommitLogWalker(layout: layout, checkOptions: .dispatch).walk { event in
            if case .message(_, let record) = event, record.check.success, record.physicalOffset < end { try writer.buildIndex(record) }
            return .proceed
        }
        writer.flush()
        let path = try #require(writer.files.last?.mappedFile.path)
        writer.shutdown()
        return path
    }
}
