// `rmqstore query`: messages by key through the index (time range, max count; records whose
// UNIQ_KEY/KEYS do not really hold the key — hash collisions — are dropped, as a client
// does), or one message by its offset msgId. Printed in the dump schema. Read-only
// (StoreReader): a record the index or msgId points at but that cannot be read is reported
// (`unreadable` line).

import RocketMQFormat
import RocketMQStore

public struct MessageQuery {
    public enum Target: Sendable {
        case key(topic: String, key: String, begin: Int64, end: Int64, maxNum: Int)
        case messageId(String)
    }

    public var target: Target
    public var format: OutputFormat
    public var describer: RecordDescriber

    public init(target: Target, format: OutputFormat, describer: RecordDescriber) {
        self.target = target
        self.format = format
        self.describer = describer
    }

    /// Prints the records found and the unreadable ones; returns how many of each.
    @discardableResult
    public func run(_ reader: StoreReader, into sink: LineSink) throws(StoreError) -> (found: Int, unreadable: Int) {
        var offsets: [Int64] = []
        var key: String?
        switch target {
        case .key(let topic, let wanted, let begin, let end, let maxNum):
            offsets = try reader.queryMessageOffsets(topic: topic, key: wanted, maxNum: maxNum, begin: begin, end: end)
            key = wanted
        case .messageId(let id):
            guard let offset = MessageId.physicalOffset(ofOffsetMessageId: id) else {
                throw StoreError(.usage, path: id, "not an offset message id (32 or 56 hex digits: store host, port, physical offset)")
            }
            offsets = [offset]
        }
        var printed = 0, unreadable = 0
        var writer = JSONLineWriter()
        // Index entries below the commitlog's first file point at expired records: not damage.
        let logStart = reader.layout.commitLogFiles.first?.fromOffset ?? .max
        for offset in offsets {
            if key != nil && offset < logStart { continue }
            reader.withRecord(at: offset) { found in
                switch found {
                case .unreadable(let problem):
                    unreadable += 1
                    if format == .json {
                        UnreadableLine.write(problem, into: &writer)
                        sink.writeLine(writer.bytes)
                    } else {
                        sink.writeLine("unreadable: \(problem)")
                    }
                case .record(let record, let file):
                    if let key, !record.hasKey(key) { return }
                    if case .key(let topic, _, _, _, _) = target, record.topic != topic { return }
                    printed += 1
                    writer.reset()
                    if format == .json {
                        describer.writeMessage(record, file: file.name, fileFromOffset: file.fromOffset, into: &writer)
                        sink.writeLine(writer.bytes)
                    } else {
                        sink.writeLine(describer.describe(record, fileFromOffset: file.fromOffset))
                    }
                }
            }
        }
        sink.flush()
        return (printed, unreadable)
    }
}
