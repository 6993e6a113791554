// The line format the repair commands print: text for people, or with --format json one NDJSON
// object per line whose "type" says what it reports (so jq can select them).

import RocketMQFormat
import RocketMQTools

extension LineSink {
    /// `text`, or with `json` the object {"type": type, members…}.
    func writeReport(_ type: String, _ members: [(String, JSONValue)], text: String, json: Bool) {
        if json {
            writeLine(JSONWriter.string(.object([JSONMember(key: "type", value: .string(type))]
                + members.map { JSONMember(key: $0.0, value: $0.1) }), style: .compact))
        } else {
            writeLine(text)
        }
    }
}
