// `rmqstore get`: messages of one queue from an offset, like a consumer pull, printed in the
// dump schema (RecordDescriber), with the queue offset of each. Read-only (StoreReader): a
// unit whose record cannot be read is reported (`unreadable` line) and skipped.

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

    /// Prints the matching messages and the unreadable units met, in queue order, then (text)
    /// a status line or (JSON) a `getResult` line. Returns the result and the unreadable records.
    @discardableResult
    public func run(_ reader: StoreReader, into sink: LineSink) -> (result: GetMessageResult, unreadable: [UnreadableRecord]) {
        var problems: [UnreadableRecord] = []
        let result = reader.getMessage(topic: topic, queueId: queueId, offset: offset, maxCount: maxCount, tags: tags) {
            problems.append($0)
        }
        var writer = JSONLineWriter()
        // In queue order: each unreadable unit where it was met among the messages.
        var pending = problems[...]
        func printProblems(before queueOffset: Int64) {
            while let problem = pending.first, (problem.queueOffset ?? .min) < queueOffset {
                pending.removeFirst()
                if format == .json {
                    UnreadableLine.write(problem, into: &writer)
                    sink.writeLine(writer.bytes)
                } else {
                    sink.writeLine("unreadable: \(problem)")
                }
            }
        }
        for message in result.messages {
            printProblems(before: message.queueOffset)
            reader.withMessage(at: message.physicalOffset) { found in
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
        printProblems(before: .max)
        writer.reset()
        if format == .json {
            writer.beginObject()
            writer.field("type", "getResult")
            writer.field("status", result.status.rawValue)
            writer.field("found", result.messages.count)
            writer.field("unreadable", problems.count)
            writer.field("nextBeginOffset", result.nextBeginOffset)
            writer.field("minOffset", result.minOffset)
            writer.field("maxOffset", result.maxOffset)
            writer.endObject()
            sink.writeLine(writer.bytes)
        } else {
            let skipped = problems.isEmpty ? "" : ", \(problems.count) unreadable"
            sink.writeLine("\(result.status.rawValue): \(result.messages.count) message(s)\(skipped); next offset \(result.nextBeginOffset), queue offsets [\(result.minOffset), \(result.maxOffset))")
        }
        sink.flush()
        return (result, problems)
    }
}
