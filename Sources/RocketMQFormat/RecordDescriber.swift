// The one "describe" formatter: every tool and the engine print records through it, as NDJSON
// (the dump schema, README "JSON schema") or as one line of text, pg_waldump style.

public struct RecordDescriber: Sendable {
    /// Version of the JSON line schema; carried on `file` lines as `schema`.
    public static let schemaVersion = 1

    public enum BodyMode: String, Sendable, CaseIterable { case none, text, hex, base64 }

    public var bodyMode: BodyMode
    public var delayLevels: DelayLevelTable
    /// SHA-256 of bodies (and decompressed bodies) in JSON; costs time on large dumps.
    public var includeDigests: Bool

    public init(bodyMode: BodyMode = .none, delayLevels: DelayLevelTable = .default, includeDigests: Bool = true) {
        self.bodyMode = bodyMode
        self.delayLevels = delayLevels
        self.includeDigests = includeDigests
    }

    // MARK: JSON

    public func writeFileStart(
        name: String, fromOffset: Int64, size: Int64, configuredSize: Int64, into w: inout JSONLineWriter
    ) {
        w.beginObject()
        w.field("type", "file")
        w.field("file", name)
        w.field("fileFromOffset", fromOffset)
        w.field("fileSize", size)
        w.field("configuredFileSize", configuredSize)
        w.field("schema", Self.schemaVersion)
        w.endObject()
    }

    public func writeBlank(_ blank: BlankMarker, file: String, fileFromOffset: Int64, into w: inout JSONLineWriter) {
        w.beginObject()
        w.field("type", "blank")
        w.field("file", file)
        w.field("filePos", blank.position)
        w.field("physicalOffset", fileFromOffset + Int64(blank.position))
        w.field("totalSize", blank.totalSize)
        w.field("magic", magicHex(MessageVersion.blankMagic))
        w.field("bytesToFileEnd", blank.bytesToFileEnd)
        w.endObject()
    }

    public func writeStop(_ stop: WalkStop, file: String, fileFromOffset: Int64, into w: inout JSONLineWriter) {
        w.beginObject()
        w.field("type", "end")
        w.field("file", file)
        w.field("filePos", stop.position)
        w.field("physicalOffset", fileFromOffset + Int64(stop.position))
        w.field("reason", stop.description)
        switch stop.reason {
        case .noRecord(let end):
            if let size = end.totalSizeField { w.field("totalSizeField", size) }
            w.field("restIsZero", end.restIsZero)
        case .checkFailed(let check):
            if let failure = check.failure { w.field("code", failure.code) }
        }
        w.endObject()
    }

    // MARK: text

    /// One line: `physicalOffset: …, file: …+pos, size: …, topic: …, …` in field order.
    public func describe(_ record: MessageRecordView, fileFromOffset: Int64) -> String {
        let offset = fileFromOffset + Int64(record.position)
        var parts = ["msg @\(offset)", "size: \(record.totalSize)"]
        guard record.isComplete else {
            parts.append("UNDECODABLE: \(Self.decodeError(record))")
            return parts.joined(separator: ", ")
        }
        parts.append("topic: \(record.topic)")
        parts.append("queueId: \(record.queueId)")
        parts.append("queueOffset: \(record.queueOffset)")
        parts.append("sysFlag: 0x\(String(record.sysFlag, radix: 16))")
        if record.transactionType != .notType { parts.append("tx: \(record.transactionType.name)") }
        if record.version == .v2 { parts.append("version: V2") }
        parts.append("stored: \(Timestamp.iso8601(milliseconds: record.storeTimestamp))")
        parts.append("born: \(Timestamp.iso8601(milliseconds: record.bornTimestamp)) \(record.bornHost?.description ?? "?")")
        if let tags = record.property("TAGS") { parts.append("tags: \(tags)") }
        if let keys = record.keys, !keys.isEmpty { parts.append("keys: \(keys)") }
        if let uniq = record.uniqueKey { parts.append("uniqKey: \(uniq)") }
        if record.physicalOffset != offset { parts.append("PHYSICALOFFSET field: \(record.physicalOffset)") }
        if record.preparedTransactionOffset != 0 { parts.append("preparedTransactionOffset: \(record.preparedTransactionOffset)") }
        parts.append("body: \(record.bodyLength) bytes")
        parts.append("msgId: \(record.offsetMessageId)")
        if !record.check.success { parts.append("CHECK FAILED: \(record.check.failure.map { "\($0)" } ?? "")") }
        var line = parts.joined(separator: ", ")
        switch bodyMode {
        case .none: break
        case .text: line += "\n  body: " + String(decoding: record.body, as: UTF8.self)
        case .hex: line += "\n" + HexDump.format(record.body, startOffset: 0, indent: "  ")
        case .base64: line += "\n  body: " + Base64.encode(record.body)
        }
        return line
    }

    public func describe(_ blank: BlankMarker, fileFromOffset: Int64) -> String {
        "blank @\(fileFromOffset + Int64(blank.position)), size: \(blank.totalSize), bytes to file end: \(blank.bytesToFileEnd)"
    }

    public func describe(_ stop: WalkStop, fileFromOffset: Int64) -> String {
        "end @\(fileFromOffset + Int64(stop.position)): \(stop.description)"
    }

    // MARK: helpers

    static func decodeError(_ record: MessageRecordView) -> String {
        let end = record.position + Int(record.totalSize)
        if record.totalSize >= 0 && end > record.file.count {
            return "totalSize \(record.totalSize) runs past the end of the file"
        }
        return record.check.failure.map { "\($0)" } ?? "undecodable"
    }
}
