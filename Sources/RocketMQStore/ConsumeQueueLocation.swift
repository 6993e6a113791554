// One consume queue directory: consumequeue/<topic>/<queueId>/.

public struct ConsumeQueueLocation: Sendable, Hashable {
    public var topic: String
    public var queueId: Int32
    /// Files sorted by start offset (bytes in the queue's logical stream).
    public var files: [SegmentFile]

    /// `topic-queueId`, RocketMQ's key for the queue (topicQueueTable).
    public var key: String { "\(topic)-\(queueId)" }
}
