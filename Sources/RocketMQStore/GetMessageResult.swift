// The answer to a queue read (`GetMessageResult`): which units matched, and the offsets a
// consumer continues from.

public struct GetMessageResult: Sendable, Hashable {
    /// One matched consume queue unit.
    public struct Message: Sendable, Hashable {
        public var queueOffset: Int64
        public var physicalOffset: Int64
        public var size: Int32
        public var tagsCode: Int64
    }

    public var status: GetMessageStatus
    public var messages: [Message]
    public var nextBeginOffset: Int64
    public var minOffset: Int64
    public var maxOffset: Int64
}
