// Where one record was appended (`AppendMessageResult` for a single record).

import RocketMQFormat

public struct AppendMessageResult: Sendable, Hashable {
    /// The record's PHYSICALOFFSET (`wroteOffset`).
    public var physicalOffset: Int64
    /// TOTALSIZE.
    public var size: Int32
    /// QUEUEOFFSET written (0 for PREPARED/ROLLBACK).
    public var queueOffset: Int64
    public var storeTimestamp: Int64
    /// Topic and queue the record was stored under (SCHEDULE_TOPIC_XXXX for a delayed one).
    public var topic: [UInt8]
    public var queueId: Int32
    public var storeHost: HostAddress

    public init(physicalOffset: Int64, size: Int32, queueOffset: Int64, storeTimestamp: Int64, topic: [UInt8],
                queueId: Int32, storeHost: HostAddress) {
        self.physicalOffset = physicalOffset
        self.size = size
        self.queueOffset = queueOffset
        self.storeTimestamp = storeTimestamp
        self.topic = topic
        self.queueId = queueId
        self.storeHost = storeHost
    }

    public var topicString: String { String(decoding: topic, as: UTF8.self) }

    /// The offset message id (`MessageDecoder.createMessageId(storeHost, wroteOffset)`),
    /// built on request so that the put path allocates nothing.
    public var offsetMessageId: String { MessageId.offsetMessageId(storeHost: storeHost, physicalOffset: physicalOffset) }
}
