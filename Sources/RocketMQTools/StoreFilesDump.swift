// `dump --what consumequeue|index|checkpoint|config`: the store's other files.

import RocketMQFormat
import RocketMQStore

public struct StoreFilesDump {
    public enum Target: Sendable { case consumeQueue, index, checkpoint, config }

    public var format: OutputFormat
    public var topic: String?
    public var queueId: Int32?

    public init(format: OutputFormat, topic: String? = nil, queueId: Int32? = nil) {
        self.format = format
        self.topic = topic
        self.queueId = queueId
    }

    /// A file `run` could not print as it is: `error` (an unparsable config JSON: file, byte
    /// offset, what was expected) or only a note (an empty config file the broker skips).
    public struct Problem: Sendable {
        public var error: StoreError
        public var isError: Bool
    }

    /// Dumps `target`; what it cannot print goes to `problems`, for the caller to report (on
    /// stderr) after the rest.
    public func run(_ target: Target, _ layout: StoreLayout, into sink: LineSink,
                    problems: (Problem) -> Void = { _ in }) throws {
        switch target {
        case .consumeQueue: try dumpConsumeQueues(layout, sink)
        case .index: try dumpIndex(layout, sink)
        case .checkpoint: try dumpCheckpoint(layout, sink)
        case .config: try dumpConfig(layout, sink, problems: problems)
        }
        sink.flush()
    }

    func dumpConsumeQueues(_ layout: StoreLayout, _ sink: LineSink) throws {
        var w = JSONLineWriter()
        for location in layout.consumeQueues {
            if let topic, location.topic != topic { continue }
            if let queueId, location.queueId != queueId { continue }
            try ConsumeQueueWalker.walk(location) { event in
                w.reset()
                w.beginObject()
                var text = ""
                switch event {
                case .fileStart(let location, let file):
                    w.field("type", "file"); w.field("topic", location.topic); w.field("queueId", location.queueId)
                    w.field("file", file.name); w.field("fileFromOffset", file.fromOffset); w.field("fileSize", file.size)
                    text = "file \(file.relativePath): from \(file.fromOffset) (queue offset \(file.fromOffset / 20)), size \(file.size)"
                case .unit(let location, let file, _, let queueOffset, let unit, let afterZero):
                    w.field("type", "unit"); w.field("topic", location.topic); w.field("queueId", location.queueId)
                    w.field("queueOffset", queueOffset); w.field("commitLogOffset", unit.physicalOffset)
                    w.field("size", unit.size); w.field("tagsCode", unit.tagsCode)
                    if afterZero { w.field("afterZeroUnit", true) }
                    if unit.isPreBlank { w.field("preBlank", true) }
                    _ = file
                    text = "unit \(location.topic)/\(location.queueId) #\(queueOffset): commitlog @\(unit.physicalOffset), size \(unit.size), tagsCode \(unit.tagsCode)"
                        + (unit.isPreBlank ? " (pre-blank)" : "") + (afterZero ? " (after a zero unit)" : "")
                case .end(let location, let file, let position, let queueOffset):
                    w.field("type", "end"); w.field("topic", location.topic); w.field("queueId", location.queueId)
                    w.field("file", file.name); w.field("filePos", position); w.field("queueOffset", queueOffset)
                    w.field("reason", "first all-zero unit in file")
                    text = "end \(file.relativePath) @\(position): first all-zero unit (queue offset \(queueOffset))"
                case .partialUnit(let location, let file, let position, let bytes):
                    w.field("type", "partialUnit"); w.field("topic", location.topic); w.field("queueId", location.queueId)
                    w.field("file", file.name); w.field("filePos", position); w.field("bytes", bytes)
                    text = "partial unit \(file.relativePath) @\(position): \(bytes) trailing bytes"
                }
                w.endObject()
                if format == .json { sink.writeLine(w.bytes) } else { sink.writeLine(text) }
            }
        }
    }

    func dumpIndex(_ layout: StoreLayout, _ sink: LineSink) throws {
        for file in layout.indexFiles {
            let region = try MappedRegion(path: file.path, sequential: false)
            let indexLayout = try IndexLayoutResolver.layout(for: file, options: layout.options)
            try region.withBytes { bytes in
                let view: IndexFileView
                do { view = try IndexFileView(bytes: bytes, layout: indexLayout) } catch let error as FormatError {
                    throw StoreError(error, path: file.relativePath)
                }
                let header = view.header
                if format == .json {
                    var w = JSONLineWriter()
                    w.beginObject()
                    w.field("type", "indexFile"); w.field("file", file.name); w.field("fileSize", file.size)
                    w.field("hashSlotNum", indexLayout.hashSlotNum); w.field("indexNum", indexLayout.indexNum)
                    w.key("header"); w.beginObject()
                    w.field("beginTimestamp", header.beginTimestamp); w.field("endTimestamp", header.endTimestamp)
                    w.field("beginPhyOffset", header.beginPhyOffset); w.field("endPhyOffset", header.endPhyOffset)
                    w.field("hashSlotCount", header.hashSlotCount); w.field("indexCount", header.indexCount)
                    w.endObject()
                    w.key("slots"); w.beginObject()
                    for (slot, value) in view.nonEmptySlots { w.key(string: String(slot)); w.value(value) }
                    w.endObject()
                    w.key("entries"); w.beginArray()
                    for (number, entry) in view.entries {
                        w.beginArray()
                        w.value(number); w.value(entry.keyHash); w.value(entry.phyOffset); w.value(entry.timeDiff); w.value(entry.prevIndex)
                        w.endArray()
                    }
                    w.endArray()
                    w.endObject()
                    sink.writeLine(w.bytes)
                } else {
                    sink.writeLine("index \(file.relativePath): \(indexLayout.hashSlotNum) slots, \(indexLayout.indexNum) entries max; "
                        + "begin \(Timestamp.iso8601(milliseconds: header.beginTimestamp)) @\(header.beginPhyOffset), "
                        + "end \(Timestamp.iso8601(milliseconds: header.endTimestamp)) @\(header.endPhyOffset), "
                        + "\(header.hashSlotCount) slots used, indexCount \(header.indexCount)")
                    for (number, entry) in view.entries {
                        sink.writeLine("  entry \(number): keyHash \(entry.keyHash), phyOffset \(entry.phyOffset), timeDiff \(entry.timeDiff)s, prev \(entry.prevIndex)")
                    }
                }
            }
        }
    }

    func dumpCheckpoint(_ layout: StoreLayout, _ sink: LineSink) throws {
        guard let path = layout.checkpointPath else {
            throw StoreError(.badData, path: "checkpoint", "no checkpoint file in the store")
        }
        let bytes = try FileSystem.read(path, offset: 0, count: 4096)
        let checkpoint: StoreCheckpoint
        do {
            checkpoint = try bytes.withUnsafeBytes { raw in try StoreCheckpoint(decoding: raw) }
        } catch let error as FormatError {
            throw StoreError(error, path: "checkpoint")
        }
        if format == .json {
            var w = JSONLineWriter()
            w.beginObject()
            w.field("type", "checkpoint"); w.field("fileSize", (try FileSystem.status(path))?.size ?? 0)
            w.field("physicMsgTimestamp", checkpoint.physicMsgTimestamp)
            w.field("logicsMsgTimestamp", checkpoint.logicsMsgTimestamp)
            w.field("indexMsgTimestamp", checkpoint.indexMsgTimestamp)
            w.field("masterFlushedOffset", checkpoint.masterFlushedOffset)
            w.field("confirmPhyOffset", checkpoint.confirmPhyOffset)
            w.field("minTimestamp", checkpoint.minTimestamp)
            w.field("minTimestampIndex", checkpoint.minTimestampIndex)
            w.endObject()
            sink.writeLine(w.bytes)
        } else {
            func show(_ name: String, _ ms: Int64) -> String { "\(name): \(ms)" + (ms > 0 ? " (\(Timestamp.iso8601(milliseconds: ms)))" : "") }
            sink.writeLine(show("physicMsgTimestamp", checkpoint.physicMsgTimestamp))
            sink.writeLine(show("logicsMsgTimestamp", checkpoint.logicsMsgTimestamp))
            sink.writeLine(show("indexMsgTimestamp", checkpoint.indexMsgTimestamp))
            sink.writeLine("masterFlushedOffset: \(checkpoint.masterFlushedOffset)")
            sink.writeLine("confirmPhyOffset: \(checkpoint.confirmPhyOffset)")
        }
    }

    /// Every config file that parses, as it is; an unparsable one is a problem (file, byte
    /// offset, what was expected) and, as the broker's ConfigManager.load does, its `.bak` is
    /// printed in its place when that parses (FORMAT.md §17). An empty file is not an error: the
    /// broker falls back the same way.
    func dumpConfig(_ layout: StoreLayout, _ sink: LineSink, problems: (Problem) -> Void) throws {
        let names = Set(layout.configFiles)
        for name in layout.configFiles {
            let bytes = try FileSystem.readFile(layout.root + "/config/" + name)
            let path = "config/" + name
            let backup = name + ".bak"
            let isBlank = bytes.allSatisfy { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }
            switch Result(catching: { () throws(FormatError) -> JSONValue in try FastJSON.parse(bytes) }) {
            case .success(let value):
                printConfig(path, source: nil, value, sink)
                continue
            case .failure(let error):
                var fallback: JSONValue?
                var consequence: String
                if name.hasSuffix(".bak") {
                    consequence = "the broker reads a .bak only when the main file is missing, empty or unparsable"
                } else if names.contains(backup) {
                    let backupBytes = try FileSystem.readFile(layout.root + "/config/" + backup)
                    fallback = try? FastJSON.parse(backupBytes)
                    consequence = fallback != nil ? "the broker falls back to config/\(backup): printed in its place"
                        : "config/\(backup) does not parse either: the broker's load() fails"
                } else {
                    consequence = "there is no config/\(backup): the broker starts without this file"
                }
                if isBlank {
                    if let fallback { printConfig(path, source: "config/" + backup, fallback, sink) }
                    problems(Problem(error: StoreError(.badData, path: path, "empty; \(consequence)"), isError: false))
                    continue
                }
                if let fallback { printConfig(path, source: "config/" + backup, fallback, sink) }
                var problem = StoreError(error, path: path)
                problem.message += "; \(consequence)"
                problems(Problem(error: problem, isError: true))
            }
        }
    }

    private func printConfig(_ path: String, source: String?, _ value: JSONValue, _ sink: LineSink) {
        if format == .text {
            sink.writeLine("\(path)\(source.map { " (from \($0))" } ?? ""): \(JSONWriter.string(value, style: .compact))")
            return
        }
        var w = JSONLineWriter()
        w.beginObject()
        w.field("type", "config"); w.field("file", path)
        if let source { w.field("source", source) }
        w.key("content"); w.raw(JSONWriter.string(value, style: .compact))
        w.endObject()
        sink.writeLine(w.bytes)
    }
}

/// Index geometry: options, else inferred from the file size (FORMAT.md §8.1).
public enum IndexLayoutResolver {
    public static func layout(for file: SegmentFile, options: StoreOptions) throws(StoreError) -> IndexFileLayout {
        if let slots = options.maxHashSlotNum, let entries = options.maxIndexNum {
            guard let layout = IndexFileLayout(hashSlotNum: slots, indexNum: entries) else {
                throw StoreError(.usage, path: file.relativePath, "index geometry \(slots)/\(entries) is not valid")
            }
            return layout
        }
        if let layout = IndexFileLayout.infer(fileSize: Int(file.size)) { return layout }
        throw StoreError(.badData, path: file.relativePath,
                         "size \(file.size) matches no index geometry (40 + 4·slots + 20·entries); give --index-slots and --index-entries")
    }
}
