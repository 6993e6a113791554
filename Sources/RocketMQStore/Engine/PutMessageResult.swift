// The answer to a put: status, and for an appended message or batch where each record went.
//
// A single put keeps its one record inline (`appended`), so the put path allocates nothing;
// a batch carries an array.

public struct PutMessageResult: Sendable, Hashable {
    public var status: PutMessageStatus
    /// The record of a single put (nil for a batch or a refusal).
    public var appended: AppendMessageResult?
    /// The records of a batch put.
    public var batch: [AppendMessageResult]
    /// Why the put was refused, for people (nil on success).
    public var reason: String?

    public init(status: PutMessageStatus, appended: AppendMessageResult? = nil, batch: [AppendMessageResult] = [],
                reason: String? = nil) {
        self.status = status
        self.appended = appended
        self.batch = batch
        self.reason = reason
    }

    public static func refused(_ status: PutMessageStatus, _ reason: String) -> PutMessageResult {
        PutMessageResult(status: status, reason: reason)
    }

    /// One entry per appended record (empty when nothing was appended).
    public var records: [AppendMessageResult] { appended.map { [$0] } ?? batch }

    /// The last record appended (what a sync put waits for).
    public var last: AppendMessageResult? { appended ?? batch.last }

    /// The msgId a broker returns: the records' offset ids joined with "," for a batch.
    public var offsetMessageId: String { records.map(\.offsetMessageId).joined(separator: ",") }
}
