// Seeded single damages on a copy of a fixture store, for the damage campaign.
//
// Each damage says what it did (kind, file, byte range) and what verify must do about it:
// name the damaged place, just report something, or nothing (a change no check can see, such
// as a flipped BORNTIMESTAMP: RocketMQ's CRC covers only the body). Record field positions
// come from the fixture's expected/messages.ndjson (written from the real store), not from
// our decoder.

import Foundation
import TestSupport

#if canImport(Glibc)
import Glibc
#endif


struct Damage: CustomStringConvertible {
    enum Expectation {
        /// verify must report a non-info finding in `file`, at a position in `positions` when given.
        case located(file: String, positions: ClosedRange<Int>?)
        /// verify must report some non-info finding (the damage shows up elsewhere, e.g. a gap).
        case reported
        /// No check can see it; verify must only not trap.
        case invisible
    }

    var kind: String
    var detail: String
    var expectation: Expectation
    /// Commitlog bytes this damage changed or removed: (file name, byte range in the file). A
    /// fixture record overlapping one of them is damaged; every other record must survive salvage.
    var damagedBytes: [(file: String, range: Range<Int>)] = []
    /// The fixture the damaged store was copied from.
    var scenario = ""
    var description: String { "\(kind): \(detail)" }
}

/// One record of the fixture, from expected/messages.ndjson.
struct FixtureRecord {
    var file: String
    var filePos: Int
    var totalSize: Int
    var sysFlag: Int
    var bodyLength: Int
    var topicLength: Int
    var propertiesLength: Int
    var topic: String
    var queueId: Int
    /// What identifies the record wherever it is stored (salvage rewrites only PHYSICALOFFSET).
    var identity: String
    /// The identity without QUEUEOFFSET (`salvage --renumber` rewrites it too).
    var renumberedIdentity: String

    func isDamaged(by damage: Damage) -> Bool {
        damage.damagedBytes.contains { $0.file == file && $0.range.overlaps(filePos..<(filePos + totalSize)) }
    }

    /// The identity of a `msg` line of expected/messages.ndjson or of `rmqstore dump --format json`.
    static func identity(of object: [String: Any], renumbered: Bool = false) -> String {
        ["topic", "queueId", "queueOffset", "sysFlag", "bornTimestamp", "storeTimestamp", "bodyCRC", "bodyLen", "propertiesRaw"]
            .filter { !renumbered || $0 != "queueOffset" }
            .map { "\(object[$0] ?? "-")" }.joined(separator: "|")
    }

    /// (name, offset in record, length) of every field, FORMAT.md §2.1.
    var fields: [(name: String, offset: Int, length: Int)] {
        let bornHost = sysFlag & 0x10 != 0 ? 20 : 8, storeHost = sysFlag & 0x20 != 0 ? 20 : 8
        var result: [(String, Int, Int)] = []
        var at = 0
        for (name, length) in [("TOTALSIZE", 4), ("MAGICCODE", 4), ("BODYCRC", 4), ("QUEUEID", 4), ("FLAG", 4),
                               ("QUEUEOFFSET", 8), ("PHYSICALOFFSET", 8), ("SYSFLAG", 4), ("BORNTIMESTAMP", 8),
                               ("BORNHOST", bornHost), ("STORETIMESTAMP", 8), ("STOREHOST", storeHost),
                               ("RECONSUMETIMES", 4), ("PREPAREDTRANSACTIONOFFSET", 8), ("BODYLENGTH", 4),
                               ("BODY", bodyLength), ("TOPICLENGTH", 1), ("TOPIC", topicLength),
                               ("PROPERTIESLENGTH", 2), ("PROPERTIES", propertiesLength)] {
            result.append((name, at, length))
            at += length
        }
        return result.filter { $0.2 > 0 }
    }

    static func load(_ scenario: String) throws -> [FixtureRecord] {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  object["type"] as? String == "msg", let check = object["storeCheck"] as? [String: Any],
                  check["success"] as? Bool == true else { return nil }
            func int(_ key: String) -> Int { (object[key] as? NSNumber)?.intValue ?? 0 }
            return FixtureRecord(
                file: object["file"] as? String ?? "", filePos: int("filePos"), totalSize: int("totalSize"),
                sysFlag: int("sysFlag"), bodyLength: int("bodyLen"), topicLength: int("topicLen"),
                propertiesLength: int("propertiesLen"), topic: object["topic"] as? String ?? "", queueId: int("queueId"),
                identity: identity(of: object), renumberedIdentity: identity(of: object, renumbered: true))
        }
    }
}

/// Applies seeded damages to a store copy.
struct StoreDamager {
    let store: String
    let records: [FixtureRecord]
    var random: SplitMix64

    /// Header fields whose change a check must see at the record itself: the size formula,
    /// magic, CRC, PHYSICALOFFSET = position, and the lengths. (SYSFLAG, QUEUEID, QUEUEOFFSET
    /// and TOPIC show up against the consume queue; the rest is covered by nothing.)
    static let locatedFields: Set<String> = [
        "TOTALSIZE", "MAGICCODE", "BODYCRC", "PHYSICALOFFSET", "BODYLENGTH", "BODY", "TOPICLENGTH", "PROPERTIESLENGTH",
    ]
    static let reportedFields: Set<String> = ["QUEUEID", "QUEUEOFFSET", "TOPIC"]

    static let kinds = [
        "flip", "truncate-commitlog", "truncate-cq", "truncate-index", "truncate-checkpoint", "zero-record",
        "zero-cq-unit", "duplicate-record", "duplicate-cq-unit", "index-cycle", "delete", "rename", "resize", "garbage",
    ]

    // MARK: file helpers

    func path(_ relative: String) -> String { store + "/" + relative }

    func files(under directory: String) -> [String] {
        guard let items = FileManager.default.enumerator(atPath: path(directory)) else { return [] }
        return items.compactMap { item -> String? in
            let relative = directory + "/" + (item as! String)
            var isDir: ObjCBool = false
            FileManager.default.fileExists(atPath: path(relative), isDirectory: &isDir)
            return isDir.boolValue ? nil : relative
        }.sorted()
    }

    func size(_ relative: String) -> Int {
        ((try? FileManager.default.attributesOfItem(atPath: path(relative)))?[.size] as? NSNumber)?.intValue ?? 0
    }

    func modify(_ relative: String, _ body: (inout [UInt8]) -> Void) throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
        body(&bytes)
        try Data(bytes).write(to: URL(fileURLWithPath: path(relative)))
    }

    func truncateFile(_ relative: String, to length: Int) { _ = truncate(path(relative), off_t(length)) }

    mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &random)] }

    /// A record that is not the last of the log (so that damage is "in the middle").
    mutating func middleRecord() -> FixtureRecord { records[Int.random(in: 0..<(records.count - 1), using: &random)] }

    // MARK: damages

    mutating func apply(_ kind: String) throws -> Damage {
        switch kind {
        case "flip": return try flipField()
        case "truncate-commitlog":
            let record = middleRecord()
            let file = "commitlog/" + record.file
            let cut = pick([
                ("record start", record.filePos), ("mid-header", record.filePos + Int.random(in: 1..<88, using: &random)),
                ("mid-record", record.filePos + Int.random(in: 88..<record.totalSize, using: &random)),
                ("file start", 0), ("end of last record", lastRecordEnd(in: record.file)),
            ])
            truncateFile(file, to: cut.1)
            return Damage(kind: kind, detail: "\(file) cut at \(cut.0) \(cut.1)", expectation: .located(file: file, positions: nil),
                          damagedBytes: [(record.file, cut.1..<Int.max)])
        case "truncate-cq":
            let file = pick(files(under: "consumequeue"))
            let length = pick([0, 20 * Int.random(in: 1..<8, using: &random), Int.random(in: 1..<160, using: &random)])
            truncateFile(file, to: length)
            return Damage(kind: kind, detail: "\(file) cut to \(length)", expectation: .located(file: file, positions: nil))
        case "truncate-index":
            let file = pick(files(under: "index"))
            let length = pick([0, 20, 40, 40 + 4 * 10, size(file) - 20 * Int.random(in: 1..<50, using: &random), size(file) - 1])
            truncateFile(file, to: length)
            return Damage(kind: kind, detail: "\(file) cut to \(length)", expectation: .located(file: file, positions: nil))
        case "truncate-checkpoint":
            let length = pick([0, 8, 10, 24, 40, 4095])
            truncateFile("checkpoint", to: length)
            return Damage(kind: kind, detail: "checkpoint cut to \(length)", expectation: .located(file: "checkpoint", positions: nil))
        case "zero-record":
            let record = middleRecord()
            let file = "commitlog/" + record.file
            let length = Int.random(in: 4...record.totalSize, using: &random)
            try modify(file) { bytes in
                for i in record.filePos..<(record.filePos + length) { bytes[i] = 0 }
            }
            return Damage(kind: kind, detail: "\(file) @ \(record.filePos): \(length) bytes zeroed from the record start",
                          expectation: .located(file: file, positions: record.filePos...record.filePos),
                          damagedBytes: [(record.file, record.filePos..<(record.filePos + length))])
        case "zero-cq-unit", "duplicate-cq-unit":
            let file = pick(files(under: "consumequeue").filter { unitCount($0) >= 3 })
            let unit = Int.random(in: 0..<(unitCount(file) - 1), using: &random)
            try modify(file) { bytes in
                for i in 0..<20 { bytes[(unit + 1) * 20 + i] = kind == "zero-cq-unit" ? 0 : bytes[unit * 20 + i] }
            }
            return Damage(kind: kind, detail: "\(file) unit \(unit + 1)", expectation: .located(file: file, positions: nil))
        case "duplicate-record":
            var record = middleRecord()
            while !records.contains(where: { $0.file == record.file && $0.filePos == record.filePos + record.totalSize }) {
                record = middleRecord()
            }
            let file = "commitlog/" + record.file
            let next = record.filePos + record.totalSize
            let end = min(next + record.totalSize, size(file))
            try modify(file) { bytes in
                bytes.replaceSubrange(next..<end, with: bytes[record.filePos..<(record.filePos + end - next)])
            }
            return Damage(kind: kind, detail: "\(file): record @ \(record.filePos) copied over @ \(next)",
                          expectation: .located(file: file, positions: next...next), damagedBytes: [(record.file, next..<end)])
        case "delete":
            let commitLogs = files(under: "commitlog")
            let queueFile = pick(files(under: "consumequeue").filter { $0.hasSuffix("/00000000000000000000") && unitCount($0) == 64 })
            let choice = pick([commitLogs[commitLogs.count / 2], queueFile, "checkpoint"])
            try FileManager.default.removeItem(atPath: path(choice))
            let lost = choice.hasPrefix("commitlog/") ? [(String(choice.dropFirst("commitlog/".count)), 0..<Int.max)] : []
            return Damage(kind: kind, detail: "\(choice) deleted", expectation: .reported, damagedBytes: lost)
        case "rename":
            let commitLogs = files(under: "commitlog")
            let file = commitLogs[Int.random(in: 1..<commitLogs.count, using: &random)]
            let offset = Int64(file.split(separator: "/").last!)! + Int64.random(in: 1..<1000, using: &random)
            let name = String(repeating: "0", count: 20 - String(offset).count) + String(offset)
            try FileManager.default.moveItem(atPath: path(file), toPath: path("commitlog/" + name))
            // Its records no longer sit at their PHYSICALOFFSET: all of them are damaged.
            return Damage(kind: kind, detail: "\(file) renamed to \(name)", expectation: .reported,
                          damagedBytes: [(String(file.dropFirst("commitlog/".count)), 0..<Int.max)])
        case "resize":
            let candidates = [pick(files(under: "commitlog")), pick(files(under: "consumequeue")), pick(files(under: "index"))]
            let file = pick(candidates)
            let grow = pick([1, 7, 20, 4096])
            truncateFile(file, to: size(file) + grow)
            return Damage(kind: kind, detail: "\(file) grown by \(grow)", expectation: .located(file: file, positions: nil))
        case "index-cycle":
            return try indexCycle()
        case "garbage":
            return try garbage()
        default:
            fatalError("unknown damage \(kind)")
        }
    }

    mutating func flipField() throws -> Damage {
        let record = middleRecord()
        let field = pick(record.fields)
        let at = record.filePos + field.offset + Int.random(in: 0..<field.length, using: &random)
        let mask = UInt8.random(in: 1...255, using: &random)
        let file = "commitlog/" + record.file
        try modify(file) { $0[at] ^= mask }
        let expectation: Damage.Expectation =
            Self.locatedFields.contains(field.name) ? .located(file: file, positions: record.filePos...(record.filePos + record.totalSize))
            : Self.reportedFields.contains(field.name) ? .reported : .invisible
        return Damage(kind: "flip", detail: "\(file) @ \(at): \(field.name) of the record @ \(record.filePos) ^ 0x\(String(mask, radix: 16))",
                      expectation: expectation, damagedBytes: [(record.file, at..<(at + 1))])
    }

    mutating func garbage() throws -> Damage {
        var bytes = [UInt8](repeating: 0, count: 4096)
        for i in bytes.indices { bytes[i] = UInt8.random(in: 0...255, using: &random) }
        let commitLogs = files(under: "commitlog")
        let last = Int64(commitLogs.last!.split(separator: "/").last!)!
        let step = Int64(size(commitLogs.last!))
        let nextName = String(repeating: "0", count: 20 - String(last + step).count) + String(last + step)
        let choice = pick([
            ("commitlog/" + nextName, Int(step)), ("checkpoint", 4096), ("config/delayOffset.json", 300),
            ("index/" + "20991231235959999", size(files(under: "index")[0])),
        ])
        var content = [UInt8]()
        while content.count < choice.1 { content += bytes }
        try Data(content.prefix(choice.1)).write(to: URL(fileURLWithPath: path(choice.0)))
        // Random checkpoint timestamps can look plausible; the others must be reported in place.
        let expectation: Damage.Expectation = choice.0 == "checkpoint" ? .invisible : .located(file: choice.0, positions: nil)
        return Damage(kind: "garbage", detail: "\(choice.0): \(choice.1) random bytes", expectation: expectation)
    }

    /// Two entries of an index file made to point at each other, with a slot leading into the
    /// loop: a lookup that trusts prevIndex would never end (Java's only guards a self-link).
    mutating func indexCycle() throws -> Damage {
        let file = pick(files(under: "index"))
        let slots = (size(file) - 40) / 84  // the fixtures' geometry: N = 4·H
        var detail = ""
        try modify(file) { bytes in
            func int32(_ at: Int) -> Int { Int(bytes[at]) << 24 | Int(bytes[at + 1]) << 16 | Int(bytes[at + 2]) << 8 | Int(bytes[at + 3]) }
            func put(_ value: Int, at: Int) { for i in 0..<4 { bytes[at + i] = UInt8(truncatingIfNeeded: value >> (24 - 8 * i)) } }
            let indexCount = int32(36)
            guard indexCount > 3 else { return }
            let a = Int.random(in: 1..<(indexCount - 1), using: &random)
            let b = Int.random(in: (a + 1)..<indexCount, using: &random)
            let entry = { (index: Int) in 40 + 4 * slots + 20 * index }
            put(a, at: entry(b) + 16)
            put(b, at: entry(a) + 16)
            put(b, at: 40 + 4 * (int32(entry(b)) % slots))
            detail = "\(file): entries \(a) and \(b) point at each other"
        }
        return Damage(kind: "index-cycle", detail: detail, expectation: .located(file: file, positions: nil))
    }

    func unitCount(_ relative: String) -> Int {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path(relative))) else { return 0 }
        var count = 0
        while (count + 1) * 20 <= data.count, data[(count * 20)..<((count + 1) * 20)].contains(where: { $0 != 0 }) { count += 1 }
        return count
    }

    func lastRecordEnd(in file: String) -> Int {
        records.filter { $0.file == file }.map { $0.filePos + $0.totalSize }.max() ?? 0
    }
}
