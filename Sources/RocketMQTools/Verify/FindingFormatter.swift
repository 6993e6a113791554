// Prints findings and the summary as text lines or NDJSON (`{"type":"finding",…}` per finding,
// then `{"type":"summary",…}`).

import RocketMQFormat

public struct FindingFormatter: Sendable {
    public var format: OutputFormat

    public init(format: OutputFormat) { self.format = format }

    public func line(_ finding: Finding) -> String {
        switch format {
        case .json: return json(finding)
        case .text: return text(finding)
        }
    }

    public func line(_ summary: VerifySummary) -> String {
        switch format {
        case .json:
            var writer = JSONLineWriter()
            writer.beginObject()
            writer.field("type", "summary")
            writer.field("verdict", summary.verdict.rawValue)
            writer.field("exitCode", summary.exitCode)
            writer.field("damaged", summary.count(.damaged))
            writer.field("repairable", summary.count(.repairable))
            writer.field("unreadable", summary.count(.unreadable))
            writer.field("info", summary.count(.info))
            writer.field("suppressed", summary.suppressed)
            writer.field("commitLogFiles", summary.commitLogFiles)
            writer.field("commitLogBytes", summary.commitLogBytes)
            writer.field("records", summary.records)
            writer.field("minOffset", summary.minOffset)
            writer.field("maxOffset", summary.maxOffset)
            writer.field("consumeQueues", summary.consumeQueues)
            writer.field("consumeQueueUnits", summary.consumeQueueUnits)
            writer.field("indexFiles", summary.indexFiles)
            writer.field("indexEntries", summary.indexEntries)
            writer.field("lockHeld", summary.lockHeld)
            writer.endObject()
            return String(decoding: writer.bytes, as: UTF8.self)
        case .text:
            var text = "verdict: \(summary.verdict.rawValue) (exit \(summary.exitCode)): \(summary.count(.damaged)) damaged, "
                + "\(summary.count(.repairable)) repairable, \(summary.count(.info)) info"
            if summary.count(.unreadable) > 0 { text += ", \(summary.count(.unreadable)) unreadable" }
            if summary.suppressed > 0 { text += " (\(summary.suppressed) not shown)" }
            text += "; \(summary.records) records in \(summary.commitLogFiles) commitlog files [\(summary.minOffset), \(summary.maxOffset)), "
                + "\(summary.consumeQueueUnits) consume queue units in \(summary.consumeQueues) queues, "
                + "\(summary.indexEntries) index entries in \(summary.indexFiles) files"
            return text
        }
    }

    private func text(_ finding: Finding) -> String {
        var text = finding.severity.description.uppercased().padding(to: 10) + " " + finding.code
        if let file = finding.file {
            text += " " + file
            if let position = finding.position { text += " @ \(position)" }
        }
        if let physical = finding.physicalOffset { text += " (physicalOffset \(physical))" }
        if let topic = finding.topic {
            text += " [\(topic)"
            if let queueId = finding.queueId { text += " queue \(queueId)" }
            if let queueOffset = finding.queueOffset { text += " offset \(queueOffset)" }
            text += "]"
        }
        text += ": " + finding.message
        if finding.expected != nil || finding.found != nil {
            text += " (expected \(finding.expected ?? "-"), found \(finding.found ?? "-"))"
        }
        return text
    }

    private func json(_ finding: Finding) -> String {
        var writer = JSONLineWriter()
        writer.beginObject()
        writer.field("type", "finding")
        writer.field("severity", finding.severity.description)
        writer.field("code", finding.code)
        if let file = finding.file { writer.field("file", file) }
        if let position = finding.position { writer.field("position", position) }
        if let physical = finding.physicalOffset { writer.field("physicalOffset", physical) }
        if let topic = finding.topic { writer.field("topic", topic) }
        if let queueId = finding.queueId { writer.field("queueId", queueId) }
        if let queueOffset = finding.queueOffset { writer.field("queueOffset", queueOffset) }
        if let expected = finding.expected { writer.field("expected", expected) }
        if let found = finding.found { writer.field("found", found) }
        writer.field("message", finding.message)
        writer.endObject()
        return String(decoding: writer.bytes, as: UTF8.self)
    }
}

extension String {
    fileprivate func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
