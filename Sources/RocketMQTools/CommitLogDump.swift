// `dump` of the commitlog: every record in log order, as NDJSON or text, streamed.

import RocketMQFormat
import RocketMQStore

public struct CommitLogDump {
    public var filter = MessageFilter()
    public var describer = RecordDescriber()
    public var format: OutputFormat = .json
    /// List records after a damaged one when its size still leads to the next record.
    public var continuePastDamage = false
    /// Print a hex view of each record's bytes (text format).
    public var hexView = false

    public init() {}

    public struct Summary: Sendable {
        public var files = 0
        public var messages = 0
        public var printed = 0
        public var blanks = 0
        public var damaged = 0
        public var bytes: Int64 = 0
    }

    /// Streams the dump of `layout` into `sink`; returns what it saw.
    @discardableResult
    public func run(_ layout: StoreLayout, into sink: LineSink) throws -> Summary {
        var summary = Summary()
        var writer = JSONLineWriter()
        let structure = !filter.selectsMessages
        let walker = CommitLogWalker(
            layout: layout, checkOptions: RecordCheckOptions(delayLevels: describer.delayLevels),
            continuePastDamage: continuePastDamage)
        try walker.walk(fromOffset: filter.fromOffset, toOffset: filter.toOffset) { event in
            if sink.isClosed { return .finish }
            writer.reset()
            switch event {
            case .fileStart(let file):
                summary.files += 1
                guard structure else { return .proceed }
                if format == .json {
                    describer.writeFileStart(name: file.name, fromOffset: file.fromOffset, size: file.size,
                                             configuredSize: layout.commitLogFileSize, into: &writer)
                    writer.withBytes { sink.writeLine($0) }
                } else {
                    sink.writeLine("file \(file.relativePath): from \(file.fromOffset), size \(file.size)"
                                   + (file.size != layout.commitLogFileSize ? " (configured \(layout.commitLogFileSize))" : ""))
                }
            case .message(let file, let record):
                let offset = file.fromOffset + Int64(record.position)
                if offset >= filter.toOffset { return .finish }
                summary.messages += 1
                summary.bytes += Int64(max(record.totalSize, 0))
                if !record.check.success { summary.damaged += 1 }
                guard filter.matches(record, physicalOffset: offset) else { return .proceed }
                if let limit = filter.limit, summary.printed >= limit { return .finish }
                summary.printed += 1
                if format == .json {
                    describer.writeMessage(record, file: file.name, fileFromOffset: file.fromOffset, into: &writer)
                    writer.withBytes { sink.writeLine($0) }
                } else {
                    sink.writeLine(describer.describe(record, fileFromOffset: file.fromOffset))
                    if hexView {
                        sink.writeLine(HexDump.format(record.bytes, startOffset: offset, indent: "  "))
                    }
                }
            case .blank(let file, let blank):
                summary.blanks += 1
                let offset = file.fromOffset + Int64(blank.position)
                guard structure, offset >= filter.fromOffset, offset < filter.toOffset else { return .proceed }
                if format == .json {
                    describer.writeBlank(blank, file: file.name, fileFromOffset: file.fromOffset, into: &writer)
                    writer.withBytes { sink.writeLine($0) }
                } else {
                    sink.writeLine(describer.describe(blank, fileFromOffset: file.fromOffset))
                }
            case .stop(let file, let stop):
                let offset = file.fromOffset + Int64(stop.position)
                guard structure, offset >= filter.fromOffset, offset < filter.toOffset else { return .proceed }
                if format == .json {
                    describer.writeStop(stop, file: file.name, fileFromOffset: file.fromOffset, into: &writer)
                    writer.withBytes { sink.writeLine($0) }
                } else {
                    sink.writeLine(describer.describe(stop, fileFromOffset: file.fromOffset))
                }
            }
            return .proceed
        }
        sink.flush()
        return summary
    }
}
