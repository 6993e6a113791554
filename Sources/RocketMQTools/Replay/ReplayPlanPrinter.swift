// Prints what `replay --apply` would do (the plan) and what it did (the written records).
//
// JSON lines: `{"type":"deliver",…}` / `{"type":"resolve",…}` per planned item, `{"type":
// "progress-change",…}` for delayOffset.json, `{"type":"written",…}` per appended record and
// `{"type":"journal",…}` when a config file was replaced.

import RocketMQFormat
import RocketMQStore

public struct ReplayPlanPrinter {
    public var format: OutputFormat
    public init(format: OutputFormat) { self.format = format }

    public func print(_ plan: DelayedDeliveryPlan, applied: Bool, into sink: LineSink) {
        let verb = applied ? "delivered" : "would deliver"
        var json = JSONLineWriter()
        for message in plan.deliveries {
            switch format {
            case .json:
                json.reset()
                json.beginObject()
                json.field("type", "deliver")
                json.field("level", message.level)
                json.field("queueOffset", message.queueOffset)
                json.field("physicalOffset", message.physicalOffset)
                json.field("deliverTimestamp", message.deliverTimestamp)
                json.field("realTopic", message.realTopic)
                json.field("realQueueId", message.realQueueId)
                json.field("uniqKey", message.uniqKey)
                json.endObject()
                sink.writeLine(json.bytes)
            case .text:
                sink.writeLine("\(verb): level \(message.level) @\(message.queueOffset) offset \(message.physicalOffset)"
                    + " -> \(message.realTopic ?? "?")/\(message.realQueueId.map(String.init) ?? "?")")
            }
        }
        guard plan.changesProgress else {
            if format == .text && plan.deliveries.isEmpty { sink.writeLine("nothing to deliver") }
            return
        }
        for level in Set(plan.progress.offsetTable.keys).union(plan.previousProgress.offsetTable.keys).sorted() {
            let before = plan.previousProgress.offsetTable[level]
            let after = plan.progress.offsetTable[level]
            guard before != after else { continue }
            switch format {
            case .json:
                json.reset()
                json.beginObject()
                json.field("type", "progress-change")
                json.field("level", level)
                json.field("before", before)
                json.field("after", after)
                json.endObject()
                sink.writeLine(json.bytes)
            case .text:
                sink.writeLine("\(applied ? "advanced" : "would advance") config/delayOffset.json level \(level): "
                    + "\(before.map(String.init) ?? "-") -> \(after.map(String.init) ?? "-")")
            }
        }
    }

    public func print(_ plan: TransactionResolutionPlan, applied: Bool, into sink: LineSink) {
        var json = JSONLineWriter()
        for step in plan.steps {
            let t = step.transaction
            switch format {
            case .json:
                json.reset()
                json.beginObject()
                json.field("type", "resolve")
                json.field("model", t.model)
                json.field("uniqKey", t.uniqKey)
                json.field("physicalOffset", t.primary.physicalOffset)
                json.field("from", t.state.rawValue)
                json.field("to", step.resultingState.rawValue)
                json.key("writes")
                json.beginArray()
                for write in step.writes { json.value(Self.describe(write)) }
                json.endArray()
                json.endObject()
                sink.writeLine(json.bytes)
            case .text:
                sink.writeLine("\(applied ? "resolved" : "would resolve") \(t.model) offset \(t.primary.physicalOffset)"
                    + " (\(t.uniqKey ?? "no UNIQ_KEY")) \(t.state.rawValue) -> \(step.resultingState.rawValue): "
                    + step.writes.map(Self.describe).joined(separator: ", "))
            }
        }
        if plan.isEmpty && format == .text { sink.writeLine("nothing to resolve") }
    }

    public func print(written: [ReplayedRecord], journal: RepairJournal?, into sink: LineSink) {
        var json = JSONLineWriter()
        for record in written {
            switch format {
            case .json:
                json.reset()
                json.beginObject()
                json.field("type", "written")
                json.field("kind", record.kind)
                json.field("sourcePhysicalOffset", record.sourcePhysicalOffset)
                json.field("physicalOffset", record.physicalOffset)
                json.field("topic", record.topic)
                json.field("queueId", record.queueId)
                json.field("queueOffset", record.queueOffset)
                json.field("msgId", record.offsetMessageId)
                json.endObject()
                sink.writeLine(json.bytes)
            case .text:
                sink.writeLine("wrote \(record.kind) @\(record.physicalOffset) \(record.topic)/\(record.queueId)"
                    + " queueOffset \(record.queueOffset) msgId \(record.offsetMessageId) (from @\(record.sourcePhysicalOffset))")
            }
        }
        if let journal {
            let path = journal.salvageDirectory + "/" + RepairJournal.fileName
            switch format {
            case .json:
                json.reset()
                json.beginObject()
                json.field("type", "journal")
                json.field("path", path)
                json.endObject()
                sink.writeLine(json.bytes)
            case .text:
                sink.writeLine("journal: \(path) (rmqstore undo \(path) --apply restores the previous config file)")
            }
        }
    }

    static func describe(_ write: TransactionResolutionPlan.Write) -> String {
        switch write {
        case .commitRecord(let half): "commit record from half @\(half)"
        case .opRecord(let offset, let queueId, _): "op marker for half queue \(queueId) offset \(offset)"
        case .legacyEnd(let prepared, let commit): "legacy \(commit ? "COMMIT" : "ROLLBACK") record for @\(prepared)"
        }
    }
}
