import Foundation
import RocketMQFormat
import RocketMQStore
import RocketMQTools
import Testing

/// [5.x] property CRC (FORMAT.md §4): no fixture was written with `enabledAppendPropCRC`, so
/// the records are built here by the §4 rule (CRC over [0, TOTALSIZE − 20) after the offsets
/// are patched in, 10 digits least-significant first).
@Suite struct VerifyPropertyCRCTests {
    static let fileSize = 65536

    /// A one-file store of `count` records carrying the property CRC; returns the root and the
    /// offsets of the records.
    static func store(count: Int) throws -> (root: String, offsets: [Int64]) {
        let root = NSTemporaryDirectory() + "verify-propcrc-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: root + "/commitlog", withIntermediateDirectories: true)
        var file = [UInt8](repeating: 0, count: fileSize)
        var offsets: [Int64] = []
        var position = 0
        for i in 0..<count {
            var properties = MessageProperties.encode([(key: "TAGS", value: "t\(i)"), (key: "KEYS", value: "k\(i)")])
            if properties.last != 0x02 { properties.append(0x02) }
            properties += PropertyCRC.entry(0)
            var record = MessageRecord(
                queueId: 0, queueOffset: Int64(i), physicalOffset: Int64(position), bornTimestamp: 1_700_000_000_000 + Int64(i),
                bornHost: HostAddress(address: [10, 0, 0, 7], port: 5000), storeTimestamp: 1_700_000_000_100 + Int64(i),
                storeHost: HostAddress(address: [10, 0, 0, 1], port: 10911), body: Array("body \(i)".utf8),
                topic: "PropTopic", properties: properties)
            record.physicalOffset = Int64(position)
            var bytes = try record.encode()
            let crc = bytes.withUnsafeBytes { PropertyCRC.computed(for: $0) }
            bytes.replaceSubrange((bytes.count - 20)..., with: PropertyCRC.entry(crc))
            file.replaceSubrange(position..<(position + bytes.count), with: bytes)
            offsets.append(Int64(position))
            position += bytes.count
        }
        FileManager.default.createFile(atPath: root + "/commitlog/00000000000000000000", contents: Data(file))
        return (root, offsets)
    }

    static func verify(_ root: String) throws -> (VerifySummary, [Finding]) {
        var findings: [Finding] = []
        let summary = try StoreVerifier.verify(root, options: VerifyOptions(areas: [.commitlog], lockHeld: false)) {
            findings.append($0)
        }
        return (summary, findings)
    }

    @Test func digitsAreLeastSignificantFirst() {
        #expect(Array(PropertyCRC.entry(12345)[9..<19]) == Array("5432100000".utf8))
        PropertyCRC.entry(12345).withUnsafeBytes { #expect(PropertyCRC.storedValue(in: $0) == 12345) }
    }

    @Test func validPropertyCRCsPass() throws {
        let (root, _) = try Self.store(count: 20)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let (summary, findings) = try Self.verify(root)
        #expect(summary.records == 20)
        #expect(findings.filter { $0.severity > .info }.isEmpty, "\(findings)")
    }

    /// A flip outside the body (which the body CRC does not cover) is caught by the property CRC.
    @Test(arguments: [40, 44, 56])  // BORNTIMESTAMP, BORNHOST, STORETIMESTAMP bytes
    func headerFlipIsCaught(_ field: Int) throws {
        let (root, offsets) = try Self.store(count: 20)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/commitlog/00000000000000000000"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let victim = offsets[7]
        bytes[Int(victim) + field] ^= 0x10
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (summary, findings) = try Self.verify(root)
        #expect(summary.verdict == .damaged)
        let damaged = findings.filter { $0.severity == .damaged }
        #expect(damaged.count == 1)
        #expect(damaged.first?.code == "record.property-crc-mismatch")
        #expect(damaged.first?.physicalOffset == victim)
    }

    @Test func malformedDigitsAreReported() throws {
        let (root, offsets) = try Self.store(count: 5)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let path = root + "/commitlog/00000000000000000000"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        // Record 2's last digit (just before the final 0x02) becomes a letter.
        let end = Int(offsets[3])
        bytes[end - 2] = UInt8(ascii: "x")
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        let (_, findings) = try Self.verify(root)
        #expect(findings.contains { $0.code == "record.property-crc-malformed" && $0.physicalOffset == offsets[2] })
    }
}
