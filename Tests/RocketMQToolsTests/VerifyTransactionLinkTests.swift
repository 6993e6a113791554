import Foundation
import RocketMQFormat
import RocketMQStore
@testable import RocketMQTools
import Testing
import TestSupport

/// FORMAT.md §18 item 11 (a COMMIT's PREPARED TRANSACTION OFFSET names its half record, or a
/// legacy prepared record) and item 12 (UNIQ_KEY is 32 or 56 hex digits), on copies of the
/// `transaction` fixture. The records, their offsets and their links come from the fixture's
/// expected/messages.ndjson (RocketMQ's own decoding).
@Suite struct VerifyTransactionLinkTests {
    static let scenario = "rocketmq-4.9.8/transaction"

    struct Message {
        var file: String
        var filePos: Int
        var physicalOffset: Int64
        var sysFlag: Int32
        var preparedTransactionOffset: Int64
        var topic: String
        var queueId: Int32
        var properties: [String: String]
        var bodyLen: Int
        var totalSize: Int

        var transactionType: Int32 { sysFlag & 0xC }
        /// Where PREPARED TRANSACTION OFFSET sits in the record (§2.1: after RECONSUMETIMES).
        var preparedFieldPosition: Int {
            filePos + 4 * 5 + 8 + 8 + 4 + 8 + (sysFlag & 0x10 != 0 ? 20 : 8) + 8 + (sysFlag & 0x20 != 0 ? 20 : 8) + 4
        }
        var bodyPosition: Int { preparedFieldPosition + 8 + 4 }
    }

    static func messages() throws -> [Message] {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        return try text.split(separator: "\n").compactMap { line in
            let json = try #require(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            guard json["type"] as? String == "msg" else { return nil }
            func int(_ key: String) -> Int64 { (json[key] as! NSNumber).int64Value }
            return Message(file: json["file"] as! String, filePos: Int(int("filePos")), physicalOffset: int("physicalOffset"),
                           sysFlag: Int32(int("sysFlag")), preparedTransactionOffset: int("preparedTransactionOffset"),
                           topic: json["topic"] as! String, queueId: Int32(int("queueId")),
                           properties: json["properties"] as? [String: String] ?? [:], bodyLen: Int(int("bodyLen")),
                           totalSize: Int(int("totalSize")))
        }
    }

    static func verify(_ store: String, jobs: Int = 1) throws -> (VerifySummary, [Finding]) {
        var findings: [Finding] = []
        var options = VerifyOptions(areas: [.commitlog], jobs: jobs, lockHeld: false)
        options.chunkSize = 8192
        let summary = try StoreVerifier.verify(store, storeOptions: try RepairFixtures.storeOptions(scenario), options: options) {
            findings.append($0)
        }
        return (summary, findings)
    }

    static func patch(_ path: String, at position: Int, _ bytes: [UInt8]) throws {
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(position))
        handle.write(Data(bytes))
    }

    static func bigEndian<T: FixedWidthInteger>(_ value: T) -> [UInt8] { withUnsafeBytes(of: value.bigEndian) { Array($0) } }

    static let halfTopic = "RMQ_SYS_TRANS_HALF_TOPIC"

    @Test func fixtureLinksAllHold() throws {
        let messages = try Self.messages()
        let commits = messages.filter { $0.transactionType == 0x8 }
        // The fixture has both kinds of link: to half records and to legacy prepared records.
        let byOffset = Dictionary(uniqueKeysWithValues: messages.map { ($0.physicalOffset, $0) })
        #expect(commits.contains { byOffset[$0.preparedTransactionOffset]?.topic == Self.halfTopic })
        #expect(commits.contains { byOffset[$0.preparedTransactionOffset]?.transactionType == 0x4 })
        for jobs in [1, 3] {
            let (_, findings) = try Self.verify(Fixtures.store(Self.scenario), jobs: jobs)
            #expect(findings.filter { $0.code.hasPrefix("tx.") || $0.code == "record.uniq-key-format" }.isEmpty, "\(findings)")
        }
    }

    /// The new checks raise nothing, not even info, on any clean fixture (4.9.8 and 5.3.3).
    @Test(arguments: VerifyTests.cleanFixtures)
    func newChecksAreSilentOnCleanFixtures(_ scenario: String) throws {
        for jobs in [1, 3] {
            let (_, findings) = try VerifyTests.verify(Fixtures.store(scenario), jobs: jobs)
            let new = findings.filter {
                $0.code.hasPrefix("tx.") || $0.code.hasPrefix("bcq.") || $0.code == "record.uniq-key-format" || $0.code == "cq.missing-head"
            }
            #expect(new.isEmpty, "\(scenario): \(new)")
        }
    }

    @Test func commitNamingAnotherHalfRecordIsReported() throws {
        let messages = try Self.messages()
        let commit = try #require(messages.first { $0.transactionType == 0x8 && $0.preparedTransactionOffset > 0 })
        let target = messages.first { $0.physicalOffset == commit.preparedTransactionOffset }
        let other = try #require(messages.first {
            $0.topic == Self.halfTopic && $0.physicalOffset < commit.physicalOffset
                && $0.properties["UNIQ_KEY"] != target?.properties["UNIQ_KEY"]
        })
        let store = try RepairFixtures.copy(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        try Self.patch(store + "/commitlog/" + commit.file, at: commit.preparedFieldPosition, Self.bigEndian(other.physicalOffset))
        for jobs in [1, 3] {
            let (summary, findings) = try Self.verify(store, jobs: jobs)
            let found = findings.filter { $0.code == "tx.prepared-mismatch" }
            #expect(found.count == 1)
            #expect(found.first?.physicalOffset == commit.physicalOffset)
            #expect(found.first?.file == "commitlog/" + commit.file && found.first?.position == Int64(commit.filePos))
            #expect(found.first?.severity == .info)
            // The wrong half names another real queue or another UNIQ_KEY: whichever differs first.
            let field = other.properties["REAL_TOPIC"] != commit.topic ? "REAL_TOPIC"
                : other.properties["REAL_QID"] != String(commit.queueId) ? "REAL_QID" : "UNIQ_KEY"
            #expect(found.first?.message.contains("(\(field))") == true, "\(found)")
            #expect(summary.verdict == .clean)
        }
    }

    @Test func commitPointingIntoARecordOrForwardIsReported() throws {
        let messages = try Self.messages()
        let commits = messages.filter { $0.transactionType == 0x8 && $0.preparedTransactionOffset > 0 }
        let store = try RepairFixtures.copy(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        try Self.patch(store + "/commitlog/" + commits[0].file, at: commits[0].preparedFieldPosition,
                       Self.bigEndian(commits[0].preparedTransactionOffset + 1))
        try Self.patch(store + "/commitlog/" + commits[1].file, at: commits[1].preparedFieldPosition,
                       Self.bigEndian(commits[1].physicalOffset + 10))
        let (_, findings) = try Self.verify(store)
        let links = findings.filter { $0.code == "tx.prepared-link" }
        #expect(links.map(\.physicalOffset) == [commits[0].physicalOffset, commits[1].physicalOffset], "\(findings)")
    }

    @Test func commitWhoseHalfHasAnotherBodyIsReported() throws {
        let messages = try Self.messages()
        let commit = try #require(messages.first {
            $0.transactionType == 0x8 && $0.preparedTransactionOffset > 0 && $0.bodyLen > 0
        })
        let half = try #require(messages.first { $0.physicalOffset == commit.preparedTransactionOffset })
        #expect(half.topic == Self.halfTopic)
        let store = try RepairFixtures.copy(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        // Change the half's body and give it a matching body CRC: it stays a valid record.
        let path = store + "/commitlog/" + half.file
        var data = try Data(contentsOf: URL(fileURLWithPath: path))
        data[half.bodyPosition] ^= 0x20
        let crc = CRC32.rocketMQ(Array(data[half.bodyPosition..<(half.bodyPosition + half.bodyLen)]))
        try Self.patch(path, at: half.bodyPosition, [data[half.bodyPosition]])
        try Self.patch(path, at: half.filePos + 8, Self.bigEndian(crc))
        let (summary, findings) = try Self.verify(store)
        #expect(!findings.contains { $0.code.hasPrefix("record.") && $0.severity > .info }, "\(findings)")
        let found = findings.filter { $0.code == "tx.prepared-mismatch" }
        #expect(found.map(\.physicalOffset) == [commit.physicalOffset], "\(findings)")
        #expect(found.first?.message.contains("(body)") == true)
        #expect(summary.verdict == .clean)
    }

    @Test func commitWhoseHalfExpiredIsOnlyNoted() throws {
        // Drop the first commitlog file, as expiry would: commits in the second file that name a
        // half record in the first now point below the commitlog min offset.
        let messages = try Self.messages()
        let files = Set(messages.map(\.file)).sorted()
        let secondStart = try #require(Int64(files[1]))
        let expected = messages.filter {
            $0.transactionType == 0x8 && $0.physicalOffset >= secondStart && $0.preparedTransactionOffset < secondStart
        }
        #expect(!expected.isEmpty)
        let store = try RepairFixtures.copy(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        try FileManager.default.removeItem(atPath: store + "/commitlog/" + files[0])
        let (_, findings) = try Self.verify(store)
        let expired = findings.filter { $0.code == "tx.prepared-expired" }
        #expect(expired.map(\.physicalOffset) == expected.map(\.physicalOffset), "\(findings)")
        #expect(expired.allSatisfy { $0.severity == .info })
        #expect(!findings.contains { $0.code == "tx.prepared-mismatch" || $0.code == "tx.prepared-link" })
    }

    // MARK: UNIQ_KEY format (§18 item 12)

    @Test func uniqueKeyFormatRule() {
        func valid(_ key: String) -> Bool { Array(key.utf8).withUnsafeBytes { UniqueKeyFormat.isValid($0) } }
        #expect(valid("0A01020349AF6FBDDF5547B760390391"))
        #expect(valid("0a01020349af6fbddf5547b760390391"))
        #expect(valid(String(repeating: "20010DB8", count: 7)))
        #expect(!valid(String(repeating: "A", count: 31)))
        #expect(!valid(String(repeating: "A", count: 33)))
        #expect(!valid(String(repeating: "A", count: 40)))
        #expect(!valid(""))
        // Every byte that is not a hex digit fails, wherever it sits.
        let hex = Set("0123456789abcdefABCDEF".utf8)
        for byte in UInt8.min...UInt8.max where !hex.contains(byte) {
            for position in [0, 13, 31] {
                var key = Array("0A01020349AF6FBDDF5547B760390391".utf8)
                key[position] = byte
                #expect(!key.withUnsafeBytes { UniqueKeyFormat.isValid($0) }, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func oddUniqueKeysAreCountedPerFile() throws {
        let messages = try Self.messages()
        // Two records of one file whose UNIQ_KEY gets a non-hex digit (properties are outside the
        // 4.9.8 CRC: the records stay valid).
        let file = messages[0].file
        let keyed = messages.filter { $0.file == file && $0.properties["UNIQ_KEY"]?.utf8.count == 32 }.prefix(2)
        #expect(keyed.count == 2)
        let store = try RepairFixtures.copy(Self.scenario)
        defer { try? FileManager.default.removeItem(atPath: (store as NSString).deletingLastPathComponent) }
        let path = store + "/commitlog/" + file
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        for message in keyed {
            let record = data[message.filePos..<(message.filePos + message.totalSize)]
            let needle = Data(("UNIQ_KEY\u{1}" + message.properties["UNIQ_KEY"]!).utf8)
            let range = try #require(record.range(of: needle))
            try Self.patch(path, at: range.upperBound - 1, Array("G".utf8))
        }
        for jobs in [1, 3] {
            let (summary, findings) = try Self.verify(store, jobs: jobs)
            let odd = findings.filter { $0.code == "record.uniq-key-format" }
            #expect(odd.count == 1, "\(findings)")
            #expect(odd.first?.physicalOffset == keyed.first!.physicalOffset)
            #expect(odd.first?.file == "commitlog/" + file)
            #expect(odd.first?.message.hasPrefix("2 record(s)") == true)
            #expect(odd.first?.severity == .info)
            #expect(summary.verdict == .clean)
        }
    }
}
