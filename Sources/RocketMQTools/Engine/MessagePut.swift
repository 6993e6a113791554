// `rmqstore put`: appends NDJSON messages read from a file descriptor to a store and prints one
// NDJSON result per appended record, flushed as soon as the put returns (so with SYNC_FLUSH a
// printed PUT_OK is durable).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQFormat
import RocketMQStore

public struct MessagePut {
    public struct Summary: Sendable {
        public var lines = 0
        public var appended = 0
        public var refused = 0
        public var inputErrors = 0
    }

    public var defaults: PutRequest.Defaults

    public init(defaults: PutRequest.Defaults) { self.defaults = defaults }

    /// Reads lines from `input` until end of file; blank lines are skipped.
    @discardableResult
    public func run(_ store: MessageStore, input: Int32 = 0, into sink: LineSink) throws(StoreError) -> Summary {
        var summary = Summary()
        var reader = LineReader(fileDescriptor: input)
        var writer = JSONLineWriter()
        while let line = try reader.next() {
            summary.lines += 1
            if line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }) { continue }
            writer.reset()
            let request: PutRequest
            do throws(FormatError) {
                request = try PutRequest.parse(line, defaults: defaults)
            } catch {
                summary.inputErrors += 1
                writer.beginObject()
                writer.field("line", summary.lines)
                writer.field("status", "INPUT_ERROR")
                writer.field("error", "\(error.field): expected \(error.expected)")
                writer.endObject()
                sink.writeLine(writer.bytes)
                sink.flush()
                continue
            }
            let result: PutMessageResult
            switch request {
            case .single(let record, let delayLevel): result = store.putMessage(record, delayLevel: delayLevel)
            case .batch(let batch): result = store.putMessages(batch)
            }
            if result.records.isEmpty {
                summary.refused += 1
                writer.beginObject()
                writer.field("line", summary.lines)
                writer.field("status", result.status.rawValue)
                writer.field("error", result.reason ?? result.status.rawValue)
                writer.endObject()
                sink.writeLine(writer.bytes)
            }
            for record in result.records {
                summary.appended += 1
                writer.reset()
                writer.beginObject()
                writer.field("line", summary.lines)
                writer.field("status", result.status.rawValue)
                writer.field("topic", record.topicString)
                writer.field("queueId", record.queueId)
                writer.field("queueOffset", record.queueOffset)
                writer.field("physicalOffset", record.physicalOffset)
                writer.field("size", record.size)
                writer.field("storeTimestamp", record.storeTimestamp)
                writer.field("msgId", record.offsetMessageId)
                writer.endObject()
                sink.writeLine(writer.bytes)
            }
            sink.flush()
        }
        sink.flush()
        return summary
    }
}
