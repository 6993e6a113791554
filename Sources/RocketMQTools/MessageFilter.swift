// Which records a dump prints: the `dump` filters, applied to a decoded record in place.

import RocketMQFormat

public struct MessageFilter: Sendable {
    public var topic: String?
    public var queueId: Int32?
    /// Physical offsets: records with `from ≤ offset < to`.
    public var fromOffset: Int64 = 0
    public var toOffset: Int64 = .max
    /// Store time, milliseconds: `since ≤ storeTimestamp < until`.
    public var since: Int64?
    public var until: Int64?
    /// A KEYS token or the UNIQ_KEY.
    public var key: String?
    /// The TAGS value (one of `a||b` tags for multi-tag messages).
    public var tag: String?
    public var limit: Int?

    public init() {}

    /// True when something narrows the records (so structural lines are left out).
    public var selectsMessages: Bool {
        topic != nil || queueId != nil || since != nil || until != nil || key != nil || tag != nil
    }

    public func matches(_ record: MessageRecordView, physicalOffset: Int64) -> Bool {
        guard physicalOffset >= fromOffset, physicalOffset < toOffset else { return false }
        guard selectsMessages else { return true }
        guard record.isComplete else { return false }
        if let topic, !record.topicBytes.elementsEqual(topic.utf8) { return false }
        if let queueId, record.queueId != queueId { return false }
        if let since, record.storeTimestamp < since { return false }
        if let until, record.storeTimestamp >= until { return false }
        if let key, !record.indexKeys.contains(key) { return false }
        if let tag {
            guard let tags = record.property("TAGS") else { return false }
            if tags != tag && !tags.components(separatedByString: "||").contains(tag) { return false }
        }
        return true
    }
}
