// `rmqstore get`: messages of one queue from an offset, like a consumer pull, printed in the
// dump schema (RecordDescriber), with the queue offset of each.

import RocketMQFormat
import RocketMQStore

public struct MessageGet {
    public var topic: String
    public var queueId: Int32
    public var offset: Int64
    public var maxCount: Int
    public var tags: Set<String>?
    public var format: OutputFormat
    public var describer: RecordDescriber

    public init(topic: String, queueId: Int32, offset: Int64, maxCount: Int, tags: Set<String>?,
                format: OutputFormat, describer: RecordDescriber) {
        self.topic = topic
        self.queueId = queueId
        self.offset = offset
        self.maxCount = maxCount
        self.tags = tags
        self.format = format
        self.describer = describer
    }

    /// Prints the matching messages, then (text) a status line or (JSON) a `getResult` line.
    @discardableResult
    public func run(_ store: MessageStore, into sink: LineSink) -> GetMessageResult {
        let result = store.getMessage(topic: topic, queueId: queueId, offset: offset, maxCount: maxCount, tags: tags)
        var writer = JSONLineWriter()
        for message in result.messages {
            store.withMessage(at: message.physicalOffset) { found in
                guard let found else { return }
                writer.reset()
                if format == .json {
                    describer.writeMessage(found.record, file: found.file, fileFromOffset: found.fileFromOffset, into: &writer)
                    sink.writeLine(writer.bytes)
                } else {
                    sink.writeLine(describer.describe(found.record, fileFromOffset: found.fileFromOffset))
                }
            }
        }
        writer.reset()
        if format == .json {
            writer.beginObject()
            writer.field("type", "getResult")
            writer.field("status", result.status.rawValue)
            writer.field("found", result.messages.count)
            writer.field("nextBeginOffset", result.nextBeginOffset)
            writer.field("minOffset", result.minOffset)
            writer.field("maxOffset", result.maxOffset)
            writer.endObject()
            sink.writeLine(writer.bytes)
        } else {
            sink.writeLine("\(result.status.rawValue): \(result.messages.count) message(s); next offset \(result.nextBeginOffset), queue offsets [\(result.minOffset), \(result.maxOffset))")
        }
        sink.flush()
        return result
    }
}
