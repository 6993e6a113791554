// The NDJSON line for a record a read could not use (`type` unreadable).

import RocketMQFormat
import RocketMQStore

enum UnreadableLine {
    static func write(_ problem: UnreadableRecord, into writer: inout JSONLineWriter) {
        writer.reset()
        writer.beginObject()
        writer.field("type", "unreadable")
        writer.field("physicalOffset", problem.physicalOffset)
        if let queueOffset = problem.queueOffset { writer.field("queueOffset", queueOffset) }
        if let file = problem.file { writer.field("file", file) }
        if let position = problem.filePosition { writer.field("filePos", position) }
        writer.field("code", problem.code)
        writer.field("reason", problem.reason)
        writer.endObject()
    }
}
