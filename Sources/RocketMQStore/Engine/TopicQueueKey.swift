// The `topicQueueTable` key ("<topic>-<queueId>"), kept as bytes so a put hashes without
// building a String.

public struct TopicQueueKey: Sendable, Hashable {
    public var topic: [UInt8]
    public var queueId: Int32

    public init(topic: [UInt8], queueId: Int32) {
        self.topic = topic
        self.queueId = queueId
    }

    public init(topic: String, queueId: Int32) { self.init(topic: Array(topic.utf8), queueId: queueId) }

    public var topicString: String { String(decoding: topic, as: UTF8.self) }
}
