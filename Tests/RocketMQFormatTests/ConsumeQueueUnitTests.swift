import Foundation
import RocketMQFormat
import TestSupport
import Testing

@Suite struct ConsumeQueueUnitTests {
    /// Walks every CQ file of a store the way consumequeue.ndjson was produced, as comparable lines.
    static func walk(store: String) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        let root = store + "/consumequeue"
        for topic in AuxFixtureFiles.list(root) where AuxFixtureFiles.isDirectory(root + "/" + topic) {
            for queue in AuxFixtureFiles.list(root + "/" + topic) {
                guard let queueId = Int32(queue) else { continue }
                var lines: [String] = []
                for name in AuxFixtureFiles.list("\(root)/\(topic)/\(queue)") {
                    let bytes = try AuxFixtureFiles.bytes("\(root)/\(topic)/\(queue)/\(name)")
                    let fileStart = try #require(Int64(name))
                    lines.append("file \(name) \(fileStart) \(bytes.count)")
                    try bytes.withUnsafeBytes { raw in
                        var sawZero = false
                        for position in stride(from: 0, through: raw.count - ConsumeQueueUnit.size, by: ConsumeQueueUnit.size) {
                            let unit = try ConsumeQueueUnit(decoding: raw, at: position)
                            let queueOffset = ConsumeQueueUnit.queueOffset(fileStart: fileStart, position: position)
                            if unit.isAllZero {
                                if !sawZero { lines.append("end \(name) \(position) \(queueOffset)") }
                                sawZero = true
                                continue
                            }
                            lines.append(
                                "unit \(queueOffset) \(unit.physicalOffset) \(unit.size) \(unit.tagsCode) \(sawZero)")
                        }
                    }
                }
                result["\(topic)/\(queueId)"] = lines
            }
        }
        return result
    }

    static func expectedLines(_ scenario: String) throws -> [String: [String]] {
        var result: [String: [String]] = [:]
        for line in try AuxFixtureFiles.ndjson(Fixtures.expected(scenario, "consumequeue.ndjson")) {
            let key = "\(line["topic"] as! String)/\(line["queueId"] as! Int)"
            let text: String
            switch line["type"] as! String {
            case "file":
                text = "file \(line["file"]!) \(line["fileFromOffset"]!) \(line["fileSize"]!)"
            case "unit":
                let after = (line["afterZeroUnit"] as? Bool) ?? false
                text = "unit \(line["queueOffset"]!) \(line["commitLogOffset"]!) \(line["size"]!) \(line["tagsCode"]!) \(after)"
            case "end":
                text = "end \(line["file"]!) \(line["filePos"]!) \(line["queueOffset"]!)"
            case let other:
                Issue.record("unknown line type \(other)")
                continue
            }
            result[key, default: []].append(text)
        }
        return result
    }

    @Test(arguments: Fixtures.all)
    func matchesExpectedConsumeQueue(_ scenario: String) throws {
        let actual = try Self.walk(store: Fixtures.store(scenario))
        let expected = try Self.expectedLines(scenario)
        #expect(Set(actual.keys) == Set(expected.keys))
        for (queue, lines) in expected {
            #expect(actual[queue] == lines, "\(scenario) \(queue)")
        }
        if scenario.hasSuffix("corrupt_d_cq_missing") {
            #expect(expected.isEmpty && actual.isEmpty)
        } else {
            #expect(!expected.isEmpty)
        }
    }

    @Test func roundTripAndPredicates() throws {
        let unit = ConsumeQueueUnit(physicalOffset: 0x0102_0304_0506_0708, size: 2407, tagsCode: -5)
        let bytes = unit.encoded()
        #expect(bytes.count == 20)
        #expect(Array(bytes[0..<8]) == [1, 2, 3, 4, 5, 6, 7, 8])
        let decoded = try bytes.withUnsafeBytes { try ConsumeQueueUnit(decoding: $0, at: 0) }
        #expect(decoded == unit)
        #expect(unit.isValid && !unit.isPreBlank && !unit.isAllZero)

        var writer = ByteWriter()
        ConsumeQueueUnit.preBlank.encode(to: &writer)
        #expect(writer.bytes == [0, 0, 0, 0, 0, 0, 0, 0, 0x7F, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0, 0, 0, 0, 0])
        #expect(ConsumeQueueUnit.preBlank.isPreBlank && ConsumeQueueUnit.preBlank.isValid)
        #expect(ConsumeQueueUnit(physicalOffset: 0, size: 0, tagsCode: 0).isAllZero)
        #expect(!ConsumeQueueUnit(physicalOffset: -1, size: 10, tagsCode: 0).isValid)

        var page = [UInt8](repeating: 0, count: 40)
        page.withUnsafeMutableBytes { raw in
            #expect(unit.store(into: raw, at: 20))
            #expect(!unit.store(into: raw, at: 21))
        }
        #expect(Array(page[20...]) == bytes)
    }

    @Test func decodingShortInputThrows() {
        let bytes = [UInt8](repeating: 1, count: 25)
        bytes.withUnsafeBytes { raw in
            #expect(throws: FormatError.self) { try ConsumeQueueUnit(decoding: raw, at: 10) }
            #expect(throws: FormatError.self) { try ConsumeQueueUnit(decoding: raw, at: -1) }
            #expect((try? ConsumeQueueUnit(decoding: raw, at: 5)) != nil)
        }
    }

    @Test func geometry() {
        let fileSize = 1280
        #expect(ConsumeQueueUnit.location(ofQueueOffset: 0, fileSize: fileSize)! == (0, 0))
        #expect(ConsumeQueueUnit.location(ofQueueOffset: 63, fileSize: fileSize)! == (0, 1260))
        #expect(ConsumeQueueUnit.location(ofQueueOffset: 64, fileSize: fileSize)! == (1280, 0))
        #expect(ConsumeQueueUnit.location(ofQueueOffset: 135, fileSize: fileSize)! == (2560, 140))
        #expect(ConsumeQueueUnit.location(ofQueueOffset: -1, fileSize: fileSize) == nil)
        #expect(ConsumeQueueUnit.location(ofQueueOffset: 1, fileSize: 1279) == nil)
        #expect(ConsumeQueueUnit.location(ofQueueOffset: .max, fileSize: fileSize) == nil)
        #expect(ConsumeQueueUnit.queueOffset(fileStart: 2560, position: 140) == 135)
        #expect(ConsumeQueueUnit.defaultFileSize == 6_000_000)
        let (start, position) = ConsumeQueueUnit.location(ofQueueOffset: 300_001, fileSize: ConsumeQueueUnit.defaultFileSize)!
        #expect(start == 6_000_000 && position == 20)
    }

    @Test func extAddresses() {
        #expect(!ConsumeQueueUnit.isExtAddress(Int64(Int32.min)))
        #expect(ConsumeQueueUnit.isExtAddress(Int64(Int32.min) - 1))
        #expect(!ConsumeQueueUnit.isExtAddress(2_598_919))
        #expect(!ConsumeQueueUnit.isExtAddress(1_795_296_057_255))  // a delivery time
        #expect(ConsumeQueueUnit.extAddress(ofOffset: 0) == Int64.min)
        #expect(ConsumeQueueUnit.extOffset(ofAddress: Int64.min + 4096) == 4096)
        #expect(ConsumeQueueUnit.isExtAddress(ConsumeQueueUnit.extAddress(ofOffset: 50_331_647)))
    }
}
