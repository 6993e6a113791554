// Why a read found no usable record where a consume queue unit, an index entry or a msgId
// pointed: the file, the offsets and what was expected, for people and for NDJSON.

import RocketMQFormat

public struct UnreadableRecord: Sendable, Hashable, CustomStringConvertible {
    public var physicalOffset: Int64
    /// The queue offset of the unit that pointed here, when a queue read got here.
    public var queueOffset: Int64?
    /// The commitlog file (relative to the store root), nil when no file holds the offset.
    public var file: String?
    /// Position in that file.
    public var filePosition: Int64?
    /// A stable code (`record.crc-mismatch`, `record.end-of-data`, `record.no-file`, ...).
    public var code: String
    public var reason: String

    public init(physicalOffset: Int64, queueOffset: Int64? = nil, file: String?, filePosition: Int64?, code: String, reason: String) {
        self.physicalOffset = physicalOffset
        self.queueOffset = queueOffset
        self.file = file
        self.filePosition = filePosition
        self.code = code
        self.reason = reason
    }

    public var description: String {
        var text = "physical offset \(physicalOffset)"
        if let queueOffset { text += " (queue offset \(queueOffset))" }
        if let file { text += ", \(file)" + (filePosition.map { " at byte \($0)" } ?? "") }
        return text + ": " + reason
    }
}
