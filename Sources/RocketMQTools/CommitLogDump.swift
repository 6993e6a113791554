// `dump` of the commitlog: every record in log order, as NDJSON or text, streamed.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Dispatch
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
    /// Threads that format JSON message lines (the SHA-256 of bodies dominates); 1 formats
    /// on the walking thread. Output is the same, in the same order, whatever the count.
    public var jobs = CommitLogDump.defaultJobs
    /// Records per batch handed to a formatting thread (with `jobs` > 1).
    public var batchSize = 256

    public init() {}

    /// The processors online.
    public static var defaultJobs: Int { max(1, Int(sysconf(Int32(_SC_NPROCESSORS_ONLN)))) }

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
        let pipeline = format == .json && jobs > 1 ? MessageLinePipeline(describer: describer, workers: jobs, batchSize: max(1, batchSize)) : nil
        var currentName = ""
        var currentFromOffset: Int64 = 0
        func visitMessage(_ record: MessageRecordView) -> CommitLogWalker.Control {
            // A closed output (`| head`) is noticed within a batch's worth of records: reading
            // the sink's state is a dynamic exclusivity check, too dear per record.
            if summary.messages & 255 == 0 && sink.isClosed { return .finish }
            let offset = currentFromOffset + Int64(record.position)
            if offset >= filter.toOffset { return .finish }
            summary.messages += 1
            summary.bytes += Int64(max(record.totalSize, 0))
            if !record.check.success { summary.damaged += 1 }
            guard filter.matches(record, physicalOffset: offset) else { return .proceed }
            if let limit = filter.limit, summary.printed >= limit { return .finish }
            summary.printed += 1
            if let pipeline {
                pipeline.append(record, fileFromOffset: currentFromOffset, into: sink)
            } else if format == .json {
                writer.reset()
                describer.writeMessage(record, file: currentName, fileFromOffset: currentFromOffset, into: &writer)
                writer.withBytes { sink.writeLine($0) }
            } else {
                sink.writeLine(describer.describe(record, fileFromOffset: currentFromOffset))
                if hexView {
                    sink.writeLine(HexDump.format(record.bytes, startOffset: offset, indent: "  "))
                }
            }
            return .proceed
        }
        func visit(_ event: CommitLogWalker.Event) -> CommitLogWalker.Control {
            if sink.isClosed { return .finish }
            writer.reset()
            if case .message = event {} else {
                pipeline?.finishPending(into: sink)  // keep file/blank/end lines in order
            }
            switch event {
            case .fileStart(let file):
                summary.files += 1
                currentName = file.name
                currentFromOffset = file.fromOffset
                pipeline?.startFile(name: file.name)
                guard structure else { return .proceed }
                if format == .json {
                    describer.writeFileStart(name: file.name, fromOffset: file.fromOffset, size: file.size,
                                             configuredSize: layout.commitLogFileSize, into: &writer)
                    writer.withBytes { sink.writeLine($0) }
                } else {
                    sink.writeLine("file \(file.relativePath): from \(file.fromOffset), size \(file.size)"
                                   + (file.size != layout.commitLogFileSize ? " (configured \(layout.commitLogFileSize))" : ""))
                }
            case .message(_, let record):
                // The file from its fileStart event: binding it here would copy (retain) its
                // strings for every record.
                return visitMessage(record)
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
        // CommitLogWalker.walk, with the queued lines finished before each file is unmapped.
        // With workers, a finished file is unmapped on another thread (tearing down a 1 GiB
        // mapping takes tens of milliseconds) while the walk goes on; `run` waits for it.
        let unmapping = DispatchGroup()
        defer { unmapping.wait() }
        for file in layout.commitLogFiles {
            if file.fromOffset + max(file.size, 1) <= filter.fromOffset { continue }
            if file.fromOffset >= filter.toOffset { break }
            let region = try MappedRegion(path: file.path)
            let zeroFrom = region.prefetchDataPart()
            let control = try region.withBytes { bytes in
                defer { pipeline?.finishPending(into: sink) }
                return try walker.walkFile(file, bytes: bytes, zeroFrom: zeroFrom, visit, checkedMessage: visitMessage)
            }
            if pipeline != nil {
                DispatchQueue.global().async(group: unmapping) { withExtendedLifetime(region) {} }
            }
            if control == .finish { break }
        }
        sink.flush()
        return summary
    }
}
