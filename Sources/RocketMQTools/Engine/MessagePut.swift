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

    /// Put opens a store the way a broker starts, recovery included. A start that would throw
    /// records away (a crash left a torn tail, damage mid-log) is refused before anything is
    /// opened: `rmqstore recover` cuts the same and keeps what it cuts. Nothing to check for a
    /// path without commitlog/ (a new store).
    public static func refuseIfStartCutsRecords(storeAt root: String) throws(StoreError) {
        guard FileSystem.isDirectory(root + "/commitlog") else { return }
        // A live broker's store: locked comes first (exit 75), and its files are moving anyway.
        try StoreLock.refuseIfHeld(storeAt: root)
        let preview = try StartupSimulator.preview(root)
        guard let log = preview.commitLog, log.bytesAfterCut > 0 else { return }
        let deleted = log.deletedFiles.isEmpty ? "" : " and delete \(log.deletedFiles.count) commitlog file(s)"
        throw StoreError(.badData, path: log.stopFile, offset: log.stopPosition,
                         "opening the store as a broker starts (\(preview.mode.rawValue) recovery) would cut the log at "
                         + "\(log.processOffset)\(deleted), throwing away \(log.bytesAfterCut) bytes of records (\(log.stopReason)); "
                         + "nothing was changed: run `rmqstore recover` first, which keeps what it cuts (`rmqstore preview` for details)")
    }

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
