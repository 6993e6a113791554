// Prints `replay delayed` and `replay transactions` reports: text for people, NDJSON for jq.
//
// JSON lines: `{"type":"delayed",…}` per scheduled message, `{"type":"level",…}` per level and
// `{"type":"progress",…}` for delayOffset.json; `{"type":"transaction",…}` per transaction and
// a final `{"type":"summary",…}`.

import RocketMQFormat

public struct ReplayPrinter {
    public var format: OutputFormat
    public init(format: OutputFormat) { self.format = format }

    public func print(_ report: DelayedReport, into sink: LineSink) {
        switch format {
        case .json:
            var json = JSONLineWriter()
            for message in report.messages {
                json.reset()
                json.beginObject()
                json.field("type", "delayed")
                json.field("level", message.level)
                json.field("queueOffset", message.queueOffset)
                json.field("physicalOffset", message.physicalOffset)
                json.field("totalSize", message.totalSize)
                json.field("storeTimestamp", message.storeTimestamp)
                json.field("deliverTimestamp", message.deliverTimestamp)
                json.field("deliverTime", Timestamp.iso8601(milliseconds: message.deliverTimestamp))
                json.field("realTopic", message.realTopic)
                json.field("realQueueId", message.realQueueId)
                json.field("uniqKey", message.uniqKey)
                json.field("keys", message.keys)
                json.field("state", message.state.rawValue)
                if let reason = message.reason { json.field("reason", reason) }
                json.key("copies")
                json.beginArray()
                for copy in message.copies { json.value(copy) }
                json.endArray()
                json.endObject()
                sink.writeLine(json.bytes)
            }
            for level in report.levels {
                json.reset()
                json.beginObject()
                json.field("type", "level")
                json.field("level", level.level)
                json.field("delayMillis", level.delayMillis)
                json.field("progress", level.progress)
                json.field("maxQueueOffset", level.maxQueueOffset)
                json.field("messages", level.messages)
                json.field("delivered", level.delivered)
                json.field("deliveredUnrecorded", level.deliveredUnrecorded)
                json.field("due", level.due)
                json.field("waiting", level.waiting)
                json.field("discarded", level.discarded)
                json.field("invalid", level.invalid)
                json.field("duplicateDeliveries", level.duplicateDeliveries)
                json.endObject()
                sink.writeLine(json.bytes)
            }
            json.reset()
            json.beginObject()
            json.field("type", "progress")
            json.field("source", report.progressSource)
            json.field("problem", report.progressProblem)
            json.field("now", report.now)
            json.endObject()
            sink.writeLine(json.bytes)
        case .text:
            sink.writeLine("delay progress: \(report.progressSource ?? "none")"
                + (report.progressProblem.map { " (\($0))" } ?? ""))
            sink.writeLine("now: \(Timestamp.iso8601(milliseconds: report.now))")
            sink.writeLine("")
            sink.writeLine(pad(["level", "delay", "progress", "messages", "delivered", "unrecorded", "due", "waiting", "dropped", "dup"]))
            for level in report.levels {
                sink.writeLine(pad([
                    "\(level.level)", level.delayMillis.map(Self.duration) ?? "-", level.progress.map(String.init) ?? "-",
                    "\(level.messages)", "\(level.delivered)", "\(level.deliveredUnrecorded)", "\(level.due)",
                    "\(level.waiting)", "\(level.discarded + level.invalid)", "\(level.duplicateDeliveries)",
                ]))
            }
            let open = report.messages.filter { $0.state != .delivered }
            if !open.isEmpty {
                sink.writeLine("")
                for message in open {
                    var line = "level \(message.level) @\(message.queueOffset) offset \(message.physicalOffset)"
                    line += " -> \(message.realTopic ?? "?")/\(message.realQueueId.map(String.init) ?? "?")"
                    line += " deliver \(Timestamp.iso8601(milliseconds: message.deliverTimestamp)) \(message.state.rawValue)"
                    if let key = message.uniqKey { line += " uniqKey=\(key)" }
                    if !message.copies.isEmpty { line += " copies=\(message.copies.map(String.init).joined(separator: ","))" }
                    if let reason = message.reason { line += " (\(reason))" }
                    sink.writeLine(line)
                }
            }
        }
    }

    public func print(_ report: TransactionReport, into sink: LineSink) {
        switch format {
        case .json:
            var json = JSONLineWriter()
            for transaction in report.transactions {
                json.reset()
                json.beginObject()
                json.field("type", "transaction")
                json.field("model", transaction.model)
                json.field("state", transaction.state.rawValue)
                json.field("uniqKey", transaction.uniqKey)
                json.field("producerGroup", transaction.producerGroup)
                json.field("realTopic", transaction.realTopic)
                json.field("realQueueId", transaction.realQueueId)
                json.field("queueOffset", transaction.primary.queueOffset)
                json.field("physicalOffset", transaction.primary.physicalOffset)
                json.field("bornTimestamp", transaction.bornTimestamp)
                json.field("ageMillis", transaction.ageMillis)
                json.field("checkCount", transaction.checkCount)
                json.key("halves")
                json.beginArray()
                for copy in transaction.halves {
                    json.beginObject()
                    json.field("queueOffset", copy.queueOffset)
                    json.field("physicalOffset", copy.physicalOffset)
                    json.field("storeTimestamp", copy.storeTimestamp)
                    if let renewed = copy.preparedQueueOffset { json.field("preparedQueueOffset", renewed) }
                    json.field("checkTimes", copy.checkTimes)
                    json.endObject()
                }
                json.endArray()
                if let commit = transaction.commitPhysicalOffset { json.field("commitPhysicalOffset", commit) }
                if let resolved = transaction.resolvedBy { json.field("resolvedBy", resolved) }
                if transaction.opMissing { json.field("opMissing", true) }
                json.endObject()
                sink.writeLine(json.bytes)
            }
            json.reset()
            json.beginObject()
            json.field("type", "summary")
            for state in [TransactionState.State.committed, .rolledBack, .pending, .discarded] {
                json.key(string: state.rawValue)
                json.value(report.count(state))
            }
            json.key("danglingOpOffsets")
            json.beginArray()
            for offset in report.danglingOpOffsets { json.value(offset) }
            json.endArray()
            json.key("danglingCommits")
            json.beginArray()
            for offset in report.danglingCommits { json.value(offset) }
            json.endArray()
            json.endObject()
            sink.writeLine(json.bytes)
        case .text:
            for model in ["half", "legacy"] {
                let counts = [TransactionState.State.committed, .rolledBack, .pending, .discarded]
                    .map { "\($0.rawValue) \(report.count($0, model: model))" }.joined(separator: ", ")
                sink.writeLine("\(model == "half" ? "half/op model" : "legacy sysflag model"): \(counts)")
            }
            let pending = report.transactions.filter { $0.state == .pending || $0.opMissing }
            if !pending.isEmpty { sink.writeLine("") }
            for transaction in pending {
                var line = "\(transaction.state.rawValue) \(transaction.model) offset \(transaction.primary.physicalOffset)"
                line += " queueOffset \(transaction.primary.queueOffset)"
                line += " -> \(transaction.realTopic ?? "?")/\(transaction.realQueueId.map(String.init) ?? "?")"
                line += " group \(transaction.producerGroup ?? "?") age \(Self.duration(transaction.ageMillis))"
                line += " checks \(transaction.checkCount)"
                if transaction.halves.count > 1 { line += " copies \(transaction.halves.count)" }
                if let key = transaction.uniqKey { line += " uniqKey=\(key)" }
                if transaction.opMissing { line += " (committed, op marker missing)" }
                sink.writeLine(line)
            }
            if !report.danglingOpOffsets.isEmpty {
                sink.writeLine("op records name missing half offsets: \(report.danglingOpOffsets.map(String.init).joined(separator: ","))")
            }
            if !report.danglingCommits.isEmpty {
                sink.writeLine("commit records with no half or prepared record: \(report.danglingCommits.map(String.init).joined(separator: ","))")
            }
        }
    }

    private func pad(_ columns: [String]) -> String {
        columns.map { $0.count >= 10 ? $0 + " " : $0 + String(repeating: " ", count: 10 - $0.count) }.joined()
    }

    /// Milliseconds as RocketMQ's delay levels write them (1s, 5m, 2h), else as a plain count.
    static func duration(_ millis: Int64) -> String {
        if millis < 0 { return "-" + duration(-millis) }
        for (unit, size) in [("d", Int64(86_400_000)), ("h", 3_600_000), ("m", 60_000), ("s", 1000)]
        where millis >= size && millis % size == 0 {
            return "\(millis / size)\(unit)"
        }
        if millis >= 1000 { return "\(millis / 1000)s" }
        return "\(millis)ms"
    }
}
