// The answer to a put: status, and for an appended message or batch where each record went.

public struct PutMessageResult: Sendable, Hashable {
    public var status: PutMessageStatus
    /// One entry per record (a batch gives several); empty when nothing was appended.
    public var records: [AppendMessageResult]
    /// Why the put was refused, for people (nil on success).
    public var reason: String?

    public init(status: PutMessageStatus, records: [AppendMessageResult] = [], reason: String? = nil) {
        self.status = status
        self.records = records
        self.reason = reason
    }

    public static func refused(_ status: PutMessageStatus, _ reason: String) -> PutMessageResult {
        PutMessageResult(status: status, reason: reason)
    }

    /// The msgId a broker returns: the records' offset ids joined with "," for a batch.
    public var offsetMessageId: String { records.map(\.offsetMessageId).joined(separator: ",") }
}
