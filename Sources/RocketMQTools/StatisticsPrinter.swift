// Prints a `StoreStatistics` as text tables or NDJSON.

import RocketMQFormat
import RocketMQStore

public struct StatisticsPrinter {
    public var format: OutputFormat
    public init(format: OutputFormat) { self.format = format }

    public func print(_ stats: StoreStatistics, layout: StoreLayout, into sink: LineSink) {
        format == .json ? printJSON(stats, sink) : printText(stats, layout, sink)
    }

    private func time(_ ms: Int64?) -> String {
        guard let ms, ms != .max, ms != .min else { return "-" }
        return Timestamp.iso8601(milliseconds: ms)
    }

    private func printText(_ s: StoreStatistics, _ layout: StoreLayout, _ sink: LineSink) {
        sink.writeLine("store \(layout.root)")
        sink.writeLine("commitlog: \(s.files.count) files of \(layout.commitLogFileSize) bytes, \(s.messages) messages, "
            + "\(s.messageBytes) message bytes, \(s.blankBytes) blank bytes")
        sink.writeLine("")
        var files = Table(["file", "messages", "bytes", "blank", "data end", "first stored", "last stored", "damaged"])
        for f in s.files {
            files.add([f.name, "\(f.messages)", "\(f.messageBytes)", "\(f.blankBytes)", "\(f.dataEnd)",
                       time(f.firstStoreTimestamp), time(f.lastStoreTimestamp), "\(f.damagedRecords)"])
        }
        files.write(to: sink)
        sink.writeLine("")
        var queues = Table(["topic", "queue", "messages", "bytes", "min offset", "max offset", "first stored", "last stored"])
        for q in s.queues {
            let hasOffsets = q.maxQueueOffset != .min
            queues.add([q.topic, "\(q.queueId)", "\(q.messages)", "\(q.bytes)",
                        hasOffsets ? "\(q.minQueueOffset)" : "-", hasOffsets ? "\(q.maxQueueOffset)" : "-",
                        time(q.firstStoreTimestamp), time(q.lastStoreTimestamp)])
        }
        queues.write(to: sink)
        let k = s.kinds
        sink.writeLine("")
        sink.writeLine("kinds: compressed \(k.compressed), multi-tag \(k.multiTags), transaction not \(k.transactionNot) / "
            + "prepared \(k.transactionPrepared) / commit \(k.transactionCommit) / rollback \(k.transactionRollback), "
            + "IPv6 born \(k.bornHostIPv6) / store \(k.storeHostIPv6), inner batch \(k.innerBatch), V2 \(k.version2)")
        sink.writeLine("")
        if s.consumerLag.isEmpty {
            sink.writeLine("consumer lag: no config/consumerOffset.json")
        } else {
            var lag = Table(["group", "topic", "queue", "consumer offset", "max offset", "lag"])
            for l in s.consumerLag {
                lag.add([l.group, l.topic, "\(l.queueId)", "\(l.consumerOffset)",
                         l.maxOffset.map { "\($0)" } ?? "no queue", l.lag.map { "\($0)" } ?? "-"])
            }
            lag.write(to: sink)
        }
        for note in s.notes { sink.writeLine("note: \(note)") }
    }

    private func printJSON(_ s: StoreStatistics, _ sink: LineSink) {
        var w = JSONLineWriter()
        func emit(_ build: (inout JSONLineWriter) -> Void) {
            w.reset(); w.beginObject(); build(&w); w.endObject(); sink.writeLine(w.bytes)
        }
        for f in s.files {
            emit { w in
                w.field("type", "file"); w.field("file", f.name); w.field("fileFromOffset", f.fromOffset)
                w.field("fileSize", f.size); w.field("messages", f.messages); w.field("messageBytes", f.messageBytes)
                w.field("blankBytes", f.blankBytes); w.field("dataEnd", f.dataEnd)
                if let t = f.firstStoreTimestamp { w.field("firstStoreTimestamp", t) }
                if let t = f.lastStoreTimestamp { w.field("lastStoreTimestamp", t) }
                w.field("damagedRecords", f.damagedRecords)
            }
        }
        for q in s.queues {
            emit { w in
                w.field("type", "queue"); w.field("topic", q.topic); w.field("queueId", q.queueId)
                w.field("messages", q.messages); w.field("bytes", q.bytes)
                if q.maxQueueOffset != .min { w.field("minQueueOffset", q.minQueueOffset); w.field("maxQueueOffset", q.maxQueueOffset) }
                w.field("firstStoreTimestamp", q.firstStoreTimestamp); w.field("lastStoreTimestamp", q.lastStoreTimestamp)
            }
        }
        let k = s.kinds
        emit { w in
            w.field("type", "kinds"); w.field("compressed", k.compressed); w.field("multiTags", k.multiTags)
            w.field("transactionNot", k.transactionNot); w.field("transactionPrepared", k.transactionPrepared)
            w.field("transactionCommit", k.transactionCommit); w.field("transactionRollback", k.transactionRollback)
            w.field("bornHostIPv6", k.bornHostIPv6); w.field("storeHostIPv6", k.storeHostIPv6)
            w.field("innerBatch", k.innerBatch); w.field("version2", k.version2)
        }
        for l in s.consumerLag {
            emit { w in
                w.field("type", "lag"); w.field("group", l.group); w.field("topic", l.topic); w.field("queueId", l.queueId)
                w.field("consumerOffset", l.consumerOffset)
                if let m = l.maxOffset { w.field("maxOffset", m) }
                if let lag = l.lag { w.field("lag", lag) }
            }
        }
        emit { w in
            w.field("type", "total"); w.field("files", s.files.count); w.field("messages", s.messages)
            w.field("messageBytes", s.messageBytes); w.field("blankBytes", s.blankBytes)
            w.key("notes"); w.beginArray(); for n in s.notes { w.value(n) }; w.endArray()
        }
    }
}

/// A text table: columns as wide as their widest cell, two spaces apart.
struct Table {
    private var rows: [[String]]
    init(_ header: [String]) { rows = [header] }
    mutating func add(_ row: [String]) { rows.append(row) }

    func write(to sink: LineSink) {
        var widths = [Int](repeating: 0, count: rows.map(\.count).max() ?? 0)
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in rows {
            var line = ""
            for (i, cell) in row.enumerated() {
                line += cell
                if i < row.count - 1 { line += String(repeating: " ", count: widths[i] - cell.count + 2) }
            }
            sink.writeLine(line)
        }
    }
}
