// `rmqstore query`: messages by key through the index (time range, max count; records whose
// UNIQ_KEY/KEYS do not really hold the key — hash collisions — are dropped, as a client
// does), or one message by its offset msgId. Printed in the dump schema.

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

    /// Prints the records found; returns how many.
    @discardableResult
    public func run(_ store: MessageStore, into sink: LineSink) throws(StoreError) -> Int {
        var offsets: [Int64] = []
        var key: String?
        switch target {
        case .key(let topic, let wanted, let begin, let end, let maxNum):
            offsets = store.queryMessageOffsets(topic: topic, key: wanted, maxNum: maxNum, begin: begin, end: end)
            key = wanted
        case .messageId(let id):
            guard let offset = MessageStore.physicalOffset(ofMessageId: id) else {
                throw StoreError(.usage, path: id, "not an offset message id (32 or 56 hex digits: store host, port, physical offset)")
            }
            offsets = [offset]
        }
        var printed = 0
        var writer = JSONLineWriter()
        for offset in offsets {
            store.withMessage(at: offset) { found in
                guard let found else { return }
                if let key, !MessageStore.recordHasKey(found.record, key) { return }
                if case .key(let topic, _, _, _, _) = target, found.record.topic != topic { return }
                printed += 1
                writer.reset()
                if format == .json {
                    describer.writeMessage(found.record, file: found.file, fileFromOffset: found.fileFromOffset, into: &writer)
                    sink.writeLine(writer.bytes)
                } else {
                    sink.writeLine(describer.describe(found.record, fileFromOffset: found.fileFromOffset))
                }
            }
        }
        sink.flush()
        return printed
    }
}
