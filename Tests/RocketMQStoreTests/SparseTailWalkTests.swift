import Foundation
import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// The walker stops its "rest of the file is zeros" check at the start of the file's trailing
/// hole. Whatever `zeroFrom` it is told (any offset from which the file really is zeros), every
/// event must be the one a walk over the whole file gives.
@Suite struct SparseTailWalkTests {
    /// An event as text with every field the walk decides on.
    static func line(_ event: CommitLogWalker.Event) -> String {
        switch event {
        case .fileStart(let file): "file \(file.name)"
        case .message(_, let record): "msg \(record.position) \(record.totalSize) \(record.isComplete) \(record.check)"
        case .blank(_, let blank): "blank \(blank)"
        case .stop(_, let stop): "stop \(stop)"
        }
    }

    static func events(
        _ walker: CommitLogWalker, file: SegmentFile, bytes: UnsafeRawBufferPointer, zeroFrom: Int
    ) throws -> [String] {
        var lines: [String] = []
        _ = try walker.walkFile(file, bytes: bytes, zeroFrom: zeroFrom) { event in
            lines.append(line(event))
            return .proceed
        }
        return lines
    }

    /// One past the last non-zero byte.
    static func lastNonZeroEnd(_ bytes: UnsafeRawBufferPointer) -> Int {
        var end = bytes.count
        while end > 0 && bytes[end - 1] == 0 { end -= 1 }
        return end
    }

    @Test(arguments: Fixtures.all)
    func everyZeroFromGivesTheWholeFileVerdict(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        for continuePastDamage in [false, true] {
            let walker = CommitLogWalker(layout: layout, continuePastDamage: continuePastDamage)
            for file in layout.commitLogFiles {
                let region = try MappedRegion(path: file.path)
                try region.withBytes { bytes in
                    let whole = try Self.events(walker, file: file, bytes: bytes, zeroFrom: .max)
                    let zeros = Self.lastNonZeroEnd(bytes)
                    // The end of the data itself, the 8 bytes after it (a TOTALSIZE + MAGIC
                    // that reaches into the hole), a block boundary, the file's end.
                    var candidates = Set((0...9).map { zeros + $0 })
                    candidates.insert((zeros + 4095) / 4096 * 4096)
                    candidates.insert(bytes.count)
                    for zeroFrom in candidates.sorted() where zeroFrom <= bytes.count {
                        let hinted = try Self.events(walker, file: file, bytes: bytes, zeroFrom: zeroFrom)
                        #expect(hinted == whole, "\(scenario) \(file.name) zeroFrom \(zeroFrom) (data ends \(zeros))")
                    }
                }
            }
        }
    }

    /// The same through `walk` on real sparse copies: the data part of each commitlog file is
    /// written and the rest left as a hole (as RocketMQ's `setLength` leaves it), plus the
    /// empty next file a broker creates ahead.
    @Test(arguments: ["rocketmq-4.9.8/basic", "rocketmq-4.9.8/corrupt_a_torn_tail_zeroed", "rocketmq-4.9.8/crash_killed", "rocketmq-5.3.3/v5_basic"])
    func sparseCopiesWalkLikeTheOriginals(_ scenario: String) throws {
        let source = try StoreLayout.discover(Fixtures.store(scenario))
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sparse-walk-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/commitlog", withIntermediateDirectories: true)
        for file in source.commitLogFiles {
            let data = try Data(contentsOf: URL(fileURLWithPath: file.path))
            let end = data.withUnsafeBytes { Self.lastNonZeroEnd($0) }
            let copy = root + "/commitlog/" + file.name
            #expect(FileManager.default.createFile(atPath: copy, contents: data.prefix(end)))
            #expect(truncate(copy, off_t(data.count)) == 0)
        }
        if let last = source.commitLogFiles.last {
            let ahead = root + "/commitlog/" + SegmentFile.name(forOffset: last.fromOffset + source.commitLogFileSize)
            #expect(FileManager.default.createFile(atPath: ahead, contents: nil))
            #expect(truncate(ahead, off_t(source.commitLogFileSize)) == 0)
        }
        let layout = try StoreLayout.discover(root)
        func walkAll(_ layout: StoreLayout, hints: Bool) throws -> [String] {
            var lines: [String] = []
            let walker = CommitLogWalker(layout: layout)
            for file in layout.commitLogFiles {
                let region = try MappedRegion(path: file.path)
                let zeroFrom = hints ? Int(clamping: SparseFile.dataEnd(ofFileAt: file.path)) : .max
                lines += try region.withBytes { try Self.events(walker, file: file, bytes: $0, zeroFrom: zeroFrom) }
            }
            return lines
        }
        let hinted = try walkAll(layout, hints: true)
        #expect(hinted == (try walkAll(layout, hints: false)))
        #expect(hinted.last?.contains("zeroFilled") == true)
        // `walk` itself, which finds the holes, gives the same events.
        var walked: [String] = []
        try CommitLogWalker(layout: layout).walk { event in
            walked.append(Self.line(event))
            return .proceed
        }
        #expect(walked == hinted)
        // The hole really is one: the file system reports the data ending before the file does.
        let lastPath = layout.commitLogFiles.last!.path
        #expect(SparseFile.dataEnd(ofFileAt: lastPath) < layout.commitLogFiles.last!.size)
    }
}
