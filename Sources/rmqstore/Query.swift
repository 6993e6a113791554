import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Query: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Find messages by key (through the index) or by offset msgId.",
            discussion: """
                With --topic and --key, the index lookup of RocketMQ's queryMessage (newest index file \
                first, at most --max, stored between --since and --until), keeping records whose UNIQ_KEY \
                or KEYS really hold the key. With --msg-id, the record at the physical offset the id \
                encodes. Output in the dump schema; a record that cannot be read is reported with its \
                file, byte offset and reason (`type` unreadable in JSON).

                Read-only: files are opened read-only, no lock is taken and nothing is created or \
                changed, so a store a running broker holds can be read. Exit 1 when nothing is found or \
                a record is unreadable.
                """)

        @OptionGroup var storeArguments: StoreArguments

        @Option(help: "Topic of the key.")
        var topic: String?

        @Option(help: "A KEYS token or UNIQ_KEY.")
        var key: String?

        @Option(name: .customLong("msg-id"), help: ArgumentHelp("An offset message id (32 or 56 hex chars).", valueName: "id"))
        var msgId: String?

        @Option(help: ArgumentHelp("Only messages stored at or after this time (ms since the epoch, or ISO 8601 UTC).", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Only messages stored at or before this time (ms since the epoch, or ISO 8601 UTC).", valueName: "time"))
        var until: String?

        @Option(help: "At most this many messages (RocketMQ caps it at 64).")
        var max: Int = 64

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .json

        @Option(help: "Bodies in the output: none, text, hex or base64.")
        var body: RecordDescriber.BodyMode = .none

        func validate() throws {
            if msgId == nil && (topic == nil || key == nil) { throw ValidationError("give --topic and --key, or --msg-id") }
            if msgId != nil && (topic != nil || key != nil) { throw ValidationError("--msg-id cannot be combined with --topic/--key") }
            if let since, Timestamp.parse(since) == nil { throw ValidationError("--since: expected ms or ISO 8601 time") }
            if let until, Timestamp.parse(until) == nil { throw ValidationError("--until: expected ms or ISO 8601 time") }
        }

        func run() throws {
            let target: MessageQuery.Target
            if let msgId {
                target = .messageId(msgId)
            } else {
                target = .key(topic: topic!, key: key!, begin: since.flatMap(Timestamp.parse) ?? 0,
                              end: until.flatMap(Timestamp.parse) ?? .max, maxNum: max)
            }
            let reader = StoreReader(layout: try storeArguments.layout())
            let query = MessageQuery(target: target, format: format,
                                     describer: RecordDescriber(bodyMode: body, delayLevels: reader.layout.options.delayLevels))
            let answer = try rmqstore.run { try query.run(reader, into: LineSink()) }
            if answer.found == 0 || answer.unreadable > 0 { throw ExitCode(1) }
        }
    }
}
