import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import Testing
import TestSupport

/// Seeded damage on temp copies of a clean store: every damage is reported at the right record
/// or file.
@Suite struct VerifyCorruptionTests {

    struct RecordInfo {
        var file: String
        var position: Int
        var physicalOffset: Int64
        var totalSize: Int
        var bodyLength: Int
        var bodyStart: Int
    }

    enum Damage: CaseIterable {
        case bodyFlip, crcFlip, totalSizeFlip, magicFlip, physicalOffsetFlip, queueOffsetFlip, zeroedRange
        case zeroedRecordStart, duplicatedRange
        case truncateLastFile, deleteMiddleFile, resizeMiddleFile, shrinkMiddleFile
        case cqUnitFlip, deleteQueueFile, resizeQueueFile
        case indexEntryFlip, deleteIndexFile
    }

    static func copyStore() throws -> String {
        let temp = NSTemporaryDirectory() + "verify-\(UUID().uuidString)"
        try FileManager.default.copyItem(atPath: Fixtures.store("rocketmq-4.9.8/corrupt_base"), toPath: temp)
        return temp
    }

    static func records(_ layout: StoreLayout) throws -> [RecordInfo] {
        var result: [RecordInfo] = []
        try CommitLogWalker(layout: layout).walk { event in
            if case .message(let file, let record) = event, record.check.success {
                let flags = record.flags
                let bodyStart = 72 + flags.bornHostLength + flags.storeHostLength
                result.append(RecordInfo(file: file.path, position: record.position,
                                         physicalOffset: file.fromOffset + Int64(record.position),
                                         totalSize: Int(record.totalSize), bodyLength: Int(record.bodyLength), bodyStart: bodyStart))
            }
            return .proceed
        }
        return result
    }

    static func xor(_ path: String, at offset: Int, with mask: UInt8) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        var byte = try handle.read(upToCount: 1)!
        byte[0] ^= mask
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: byte)
    }

    static func zero(_ path: String, from offset: Int, count: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: Data(count: count))
    }

    static func truncate(_ path: String, to length: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.truncate(atOffset: UInt64(length))
    }

    static func copy(_ path: String, from: Int, count: Int, to: Int) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(from))
        let bytes = try handle.read(upToCount: count)!
        try handle.seek(toOffset: UInt64(to))
        try handle.write(contentsOf: bytes)
    }

    @Test(arguments: Array(UInt64(1)...UInt64(12)))
    func seededDamageIsReportedWhereItIs(_ seed: UInt64) throws {
        var random = SplitMix64(seed: seed)
        for damage in Damage.allCases {
            let root = try Self.copyStore()
            defer { try? FileManager.default.removeItem(atPath: root) }
            let layout = try StoreLayout.discover(root)
            let records = try Self.records(layout)
            // A record in the middle of the log with a body (CRC covers only non-empty bodies).
            let middle = records.dropFirst(5).dropLast(5).filter { $0.bodyLength > 0 }
            let victim = middle[middle.startIndex + random.below(middle.count)]
            let mask = UInt8(1 + random.below(255))
            var expectedOffset: Int64?
            var expectedFile: String?
            var expectedPosition: Int64?
            var expectedPositions: Range<Int64>?  // any position in this range of the file
            var expectedCode: String?
            var minimum = VerifyVerdict.damaged
            switch damage {
            case .bodyFlip:
                try Self.xor(victim.file, at: victim.position + victim.bodyStart + random.below(victim.bodyLength), with: mask)
                expectedOffset = victim.physicalOffset
            case .crcFlip:
                try Self.xor(victim.file, at: victim.position + 8 + random.below(4), with: mask & 0x7F == 0 ? 1 : mask & 0x7F)
                expectedOffset = victim.physicalOffset
            case .totalSizeFlip:
                try Self.xor(victim.file, at: victim.position + 2 + random.below(2), with: mask)
                expectedOffset = victim.physicalOffset
            case .magicFlip:
                try Self.xor(victim.file, at: victim.position + 4 + random.below(4), with: mask)
                expectedOffset = victim.physicalOffset
            case .physicalOffsetFlip:
                try Self.xor(victim.file, at: victim.position + 28 + random.below(8), with: mask)
                expectedOffset = victim.physicalOffset
            case .queueOffsetFlip:
                try Self.xor(victim.file, at: victim.position + 27, with: mask)
                expectedOffset = victim.physicalOffset
                minimum = .repairable
            case .zeroedRange:
                // Inside the body, so that the CRC covers it; zeroing bytes already zero changes nothing.
                let bodyStart = victim.position + victim.bodyStart
                let from = bodyStart + random.below(victim.bodyLength)
                let count = max(1, min(64, bodyStart + victim.bodyLength - from))
                let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: victim.file))
                try handle.seek(toOffset: UInt64(from))
                let before = try handle.read(upToCount: count)!
                try handle.close()
                try Self.zero(victim.file, from: from, count: count)
                if before.contains(where: { $0 != 0 }) { expectedOffset = victim.physicalOffset } else { minimum = .clean }
            case .truncateLastFile:
                let last = records.last!
                try Self.truncate(last.file, to: last.position + 1 + random.below(last.totalSize - 1))
                expectedOffset = last.physicalOffset
                expectedFile = String(last.file.dropFirst(root.count + 1))
                minimum = .repairable
            case .deleteMiddleFile:
                let files = layout.commitLogFiles
                let file = files[1 + random.below(files.count - 4)]
                try FileManager.default.removeItem(atPath: file.path)
                let before = files[files.firstIndex(of: file)! - 1]
                expectedFile = before.relativePath
            case .resizeMiddleFile:
                let files = layout.commitLogFiles
                let file = files[1 + random.below(files.count - 4)]
                try Self.truncate(file.path, to: Int(file.size) + 1 + random.below(100))
                expectedFile = file.relativePath
            case .cqUnitFlip:
                let queue = layout.consumeQueues[random.below(layout.consumeQueues.count)]
                let file = queue.files[0]
                let bounds = try ConsumeQueueBounds.read(queue)
                let units = min(Int(bounds.maxOffset - file.fromOffset / 20), Int(file.size) / 20)
                let position = 20 * random.below(max(1, units))
                let field = [8 + 3, 12 + 7, 7][random.below(3)]  // size, tagsCode, physical offset low bytes
                try Self.xor(file.path, at: position + field, with: mask)
                expectedFile = file.relativePath
                expectedPosition = Int64(position)
                minimum = .repairable
            case .zeroedRecordStart:
                try Self.zero(victim.file, from: victim.position, count: 8 + random.below(56))
                expectedOffset = victim.physicalOffset
            case .duplicatedRange:
                // An earlier record's bytes written again over the victim (a block written twice).
                let sources = records.filter { $0.physicalOffset < victim.physicalOffset && $0.totalSize <= victim.totalSize }
                let source = sources[random.below(sources.count)]
                let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: source.file)))[source.position..<(source.position + source.totalSize)]
                let handle = try FileHandle(forUpdating: URL(fileURLWithPath: victim.file))
                try handle.seek(toOffset: UInt64(victim.position))
                try handle.write(contentsOf: Data(bytes))
                try handle.close()
                expectedOffset = victim.physicalOffset
            case .shrinkMiddleFile:
                let files = layout.commitLogFiles
                let file = files[1 + random.below(files.count - 4)]
                try Self.truncate(file.path, to: Int(file.size) - 1 - random.below(Int(file.size) / 2))
                expectedFile = file.relativePath
            case .deleteQueueFile:
                let queues = layout.consumeQueues.filter { $0.files.count >= 2 }
                let queue = queues[random.below(queues.count)]
                let file = queue.files[random.below(queue.files.count)]
                try FileManager.default.removeItem(atPath: file.path)
                expectedFile = "consumequeue/\(queue.topic)/\(queue.queueId)"
                minimum = .repairable
            case .resizeQueueFile:
                let queue = layout.consumeQueues[random.below(layout.consumeQueues.count)]
                let file = queue.files[random.below(queue.files.count)]
                try Self.truncate(file.path, to: 1 + random.below(Int(file.size) - 1))
                expectedFile = file.relativePath
                minimum = .repairable
            case .indexEntryFlip:
                let file = layout.indexFiles[random.below(layout.indexFiles.count - 1)]
                let indexLayout = IndexFileLayout.infer(fileSize: Int(file.size))!
                let region = try MappedRegion(path: file.path)
                let count = Int(try region.withBytes { try IndexHeader(decoding: $0) }.indexCount)
                // Entry 1's time is relative to an inherited timestamp (§8.3): only info.
                let entry = 2 + random.below(count - 2)
                let position = indexLayout.entryPosition(entry)
                // keyHash, physical offset, timeDiff or prevIndex (low bytes).
                let field = [3, 11, 15, 19][random.below(4)]
                try Self.xor(file.path, at: position + field, with: mask)
                expectedFile = file.relativePath
                expectedPositions = Int64(position)..<Int64(position + 20)
                minimum = .repairable
            case .deleteIndexFile:
                let file = layout.indexFiles[1 + random.below(layout.indexFiles.count - 2)]
                try FileManager.default.removeItem(atPath: file.path)
                expectedCode = "index.missing-entries"
                minimum = .repairable
            }
            var findings: [Finding] = []
            let summary = StoreVerifier(layout: try StoreLayout.discover(root), options: VerifyOptions(lockHeld: false))
                .run { findings.append($0) }
            let context = "seed \(seed) \(damage) victim \(victim.physicalOffset): \(findings)"
            #expect(summary.verdict >= minimum, "\(context)")
            if let expectedOffset {
                #expect(findings.contains { $0.physicalOffset == expectedOffset && $0.severity > .info }, "\(context)")
            }
            if let expectedFile {
                #expect(findings.contains { finding in
                    (finding.file == expectedFile || finding.file?.hasPrefix(expectedFile + "/") == true)
                        && (expectedPosition == nil || finding.position == expectedPosition)
                        && (expectedPositions.map { range in finding.position.map(range.contains) ?? false } ?? true)
                        && finding.severity > .info
                }, "\(context)")
            }
            if let expectedCode {
                #expect(findings.contains { $0.code == expectedCode && $0.severity > .info }, "\(context)")
            }
            // The chunked parallel pass finds exactly the same (chunks end where damage is).
            var chunked = VerifyOptions(jobs: 3, lockHeld: false)
            chunked.chunkSize = 4096
            var parallel: [Finding] = []
            let parallelSummary = StoreVerifier(layout: try StoreLayout.discover(root), options: chunked).run { parallel.append($0) }
            #expect(VerifyDigestTests.lines(parallel) == VerifyDigestTests.lines(findings), "\(context)")
            #expect(parallelSummary.verdict == summary.verdict)
        }
    }
}
