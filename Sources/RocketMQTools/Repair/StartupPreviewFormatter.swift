// Text and NDJSON renderings of a StartupPreview.

import RocketMQFormat

public struct StartupPreviewFormatter {
    public var format: OutputFormat

    public init(format: OutputFormat) { self.format = format }

    /// True when the broker would change or lose something (or refuse to start).
    public static func hasConsequences(_ preview: StartupPreview) -> Bool {
        if !preview.loadSucceeded { return true }
        if let commitLog = preview.commitLog, !commitLog.deletedFiles.isEmpty || commitLog.bytesAfterCut > 0 { return true }
        if preview.consumeQueues.contains(where: { $0.unitsTruncated > 0 || !$0.deletedFiles.isEmpty }) { return true }
        if let index = preview.index, !index.deletedFiles.isEmpty || index.lostRange != nil || index.entriesPastCut > 0 { return true }
        return false
    }

    public func lines(_ preview: StartupPreview) -> [String] {
        format == .json ? jsonLines(preview) : textLines(preview)
    }

    func textLines(_ p: StartupPreview) -> [String] {
        var out: [String] = []
        out.append("RocketMQ \(p.rules.rawValue) start-up preview: \(p.mode.rawValue) recovery"
                   + (p.abortPresent ? " (abort file present)" : (p.mode == .abnormal ? " (forced)" : " (no abort file)")))
        if let cp = p.checkpoint {
            out.append("checkpoint: physicMsgTimestamp \(cp.physicMsgTimestamp), logicsMsgTimestamp \(cp.logicsMsgTimestamp), indexMsgTimestamp \(cp.indexMsgTimestamp)")
        } else {
            out.append("checkpoint: missing (the broker creates a zeroed one: every index file counts as newer)")
        }
        for note in p.notes { out.append("note: \(note)") }
        if let failure = p.loadFailure {
            out.append("LOAD FAILS: \(failure.path): \(failure.message)" + (failure.issue.map { " (\($0))" } ?? ""))
            out.append("the broker will not start; `rmqstore recover STORE` mends this")
            return out
        }
        if let c = p.commitLog {
            out.append("commitlog: recovery starts at \(c.startFile) (\(c.startFileReason))")
            out.append("commitlog: cut at \(c.processOffset) (\(c.stopFile) @ \(c.stopPosition): \(c.stopReason))")
            if c.bytesAfterCut > 0 { out.append("commitlog: \(c.bytesAfterCut) bytes after the cut are dropped") }
            for file in c.deletedFiles { out.append("commitlog: deletes \(file)") }
            out.append("dispatch: \(c.recordsDispatchedDuringRecovery) records during recovery, \(c.recordsDispatchedAtStart) after start (from \(p.reputFromOffset ?? 0))")
        }
        for q in p.consumeQueues {
            var parts: [String] = []
            if q.unitsTruncated > 0 { parts.append("truncates \(q.unitsTruncated) unit(s)") }
            for file in q.deletedFiles { parts.append("deletes \(file)") }
            if q.unitsAdded > 0 { parts.append("adds \(q.unitsAdded) unit(s)") }
            let load = q.afterLoad.map { "\($0.maxOffset)" } ?? "-"
            parts.append("maxOffset \(load) after load, \(q.afterStart.maxOffset) after start, maxPhysicOffset \(q.afterStart.maxPhysicOffset)")
            out.append("consumequeue \(q.key): " + parts.joined(separator: ", "))
        }
        if let index = p.index {
            for file in index.deletedFiles { out.append("index: deletes \(file)") }
            if let lost = index.lostRange { out.append("index: entries for records in [\(lost.lowerBound), \(lost.upperBound)) are lost for good") }
            if let from = index.rebuiltFrom { out.append("index: rebuilt by dispatch from \(from)") }
            if index.entriesPastCut > 0 { out.append("index: \(index.entriesPastCut) entries point at or past the cut (normal recovery keeps them)") }
        }
        out.append(Self.hasConsequences(p) ? "verdict: the broker will cut, delete or lose data (exit 1)" : "verdict: clean start, nothing changes (exit 0)")
        return out
    }

    func jsonLines(_ p: StartupPreview) -> [String] {
        func line(_ type: String, _ members: [(String, JSONValue)]) -> String {
            JSONWriter.string(.object([JSONMember(key: "type", value: .string(type))] + members.map { JSONMember(key: $0.0, value: $0.1) }), style: .compact)
        }
        func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
        func state(_ s: QueueStateSnapshot?) -> JSONValue {
            guard let s else { return .null }
            return .object([JSONMember(key: "maxOffset", value: .integer(s.maxOffset)),
                            JSONMember(key: "maxPhysicOffset", value: .integer(s.maxPhysicOffset)),
                            JSONMember(key: "minLogicOffset", value: .integer(s.minLogicOffset))])
        }
        var out: [String] = []
        var start: [(String, JSONValue)] = [("rules", .string(p.rules.rawValue)), ("mode", .string(p.mode.rawValue)),
                                             ("abortPresent", .bool(p.abortPresent)), ("loadSucceeded", .bool(p.loadSucceeded))]
        if let cp = p.checkpoint {
            start.append(("checkpoint", .object([JSONMember(key: "physicMsgTimestamp", value: .integer(cp.physicMsgTimestamp)),
                                                 JSONMember(key: "logicsMsgTimestamp", value: .integer(cp.logicsMsgTimestamp)),
                                                 JSONMember(key: "indexMsgTimestamp", value: .integer(cp.indexMsgTimestamp))])))
        } else {
            start.append(("checkpoint", .null))
        }
        start.append(("notes", strings(p.notes)))
        out.append(line("start", start))
        if let f = p.loadFailure {
            out.append(line("loadFailure", [("path", .string(f.path)), ("message", .string(f.message)), ("issue", f.issue.map { .string($0) } ?? .null)]))
        }
        if let c = p.commitLog {
            out.append(line("commitlog", [
                ("startFile", .string(c.startFile)), ("startFileReason", .string(c.startFileReason)),
                ("processOffset", .integer(c.processOffset)), ("stopFile", .string(c.stopFile)),
                ("stopPosition", .integer(c.stopPosition)), ("stopReason", .string(c.stopReason)),
                ("deletedFiles", strings(c.deletedFiles)), ("bytesAfterCut", .integer(c.bytesAfterCut)),
                ("minOffset", .integer(c.minOffset)), ("reputFromOffset", .integer(p.reputFromOffset ?? 0)),
                ("recordsDispatchedDuringRecovery", .integer(Int64(c.recordsDispatchedDuringRecovery))),
                ("recordsDispatchedAtStart", .integer(Int64(c.recordsDispatchedAtStart))),
                ("mappedFiles", .array(c.mappedFiles.map { .object([JSONMember(key: "file", value: .string($0.file)),
                                                                    JSONMember(key: "wrotePosition", value: .integer($0.wrotePosition))]) })),
            ]))
        }
        for q in p.consumeQueues {
            out.append(line("consumequeue", [
                ("topic", .string(q.topic)), ("queueId", .integer(Int64(q.queueId))), ("afterLoad", state(q.afterLoad)),
                ("afterStart", state(q.afterStart)), ("unitsTruncated", .integer(Int64(q.unitsTruncated))),
                ("unitsAdded", .integer(Int64(q.unitsAdded))), ("deletedFiles", strings(q.deletedFiles)),
                ("createdFiles", strings(q.createdFiles)),
            ]))
        }
        if let i = p.index {
            out.append(line("index", [
                ("deletedFiles", strings(i.deletedFiles)),
                ("lostFrom", i.lostRange.map { .integer($0.lowerBound) } ?? .null),
                ("lostTo", i.lostRange.map { .integer($0.upperBound) } ?? .null),
                ("rebuiltFrom", i.rebuiltFrom.map { .integer($0) } ?? .null),
                ("entriesPastCut", .integer(Int64(i.entriesPastCut))),
            ]))
        }
        out.append(line("summary", [("changes", .bool(Self.hasConsequences(p))), ("exitCode", .integer(Self.hasConsequences(p) ? 1 : 0))]))
        return out
    }
}
