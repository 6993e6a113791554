import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Dump: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the records of a store: the commitlog (default), consume queues, index files, checkpoint or config.",
            discussion: """
                With --what commitlog (the default) every record is printed in log order, each file walked \
                from byte 0 as RocketMQ's recovery walks it: a `file` line per commitlog file, a `msg` line \
                per record, a `blank` line for each end-of-file marker and an `end` line where the data in a \
                file stops (zeros, an illegal magic, or a record that fails the store's check). With \
                --format json the output is NDJSON (schema version 1, see README), one object per line, \
                for jq. Filters (--topic, --queue, --key, --tag, --since, --until) print only matching \
                `msg` lines. --what consumequeue|index|checkpoint|config prints those files instead. A \
                config file that does not parse is reported on stderr (file, byte offset, what was \
                expected; exit 65) while the others are printed; when its .bak parses, the .bak is printed \
                in its place, as the broker loads it.

                Read-only: files are opened read-only and nothing is created.
                """)

        @OptionGroup var storeArguments: StoreArguments

        @Option(help: "What to print: commitlog, consumequeue, index, checkpoint, config.")
        var what: DumpTarget = .commitlog

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        @Option(help: "Only messages of this topic.")
        var topic: String?

        @Option(help: "Only messages of this queue id.")
        var queue: Int32?

        @Option(help: ArgumentHelp("Only records at or after this physical offset.", valueName: "offset"))
        var fromOffset: Int64?

        @Option(help: ArgumentHelp("Only records before this physical offset.", valueName: "offset"))
        var toOffset: Int64?

        @Option(help: ArgumentHelp("Only messages stored at or after this time (ms since the epoch, or ISO 8601 UTC).", valueName: "time"))
        var since: String?

        @Option(help: ArgumentHelp("Only messages stored before this time (ms since the epoch, or ISO 8601 UTC).", valueName: "time"))
        var until: String?

        @Option(help: "Only messages with this key (a KEYS token or the UNIQ_KEY).")
        var key: String?

        @Option(help: "Only messages with this tag.")
        var tag: String?

        @Option(name: .customLong("msg-id"), help: ArgumentHelp("Only the message with this offset message id (32 or 56 hex chars).", valueName: "id"))
        var msgId: String?

        @Option(help: "Print at most this many messages.")
        var limit: Int?

        @Option(help: "Bodies in the output: none, text, hex or base64.")
        var body: RecordDescriber.BodyMode = .none

        @Flag(help: "With --format text: a hex view of each record's bytes.")
        var hex = false

        @Flag(help: "Go on listing records after a damaged one when its size still leads to the next record.")
        var continuePastDamage = false

        @Flag(help: "Leave out SHA-256 digests of bodies (faster on large dumps).")
        var noDigests = false

        func validate() throws {
            if let since, Timestamp.parse(since) == nil { throw ValidationError("--since: expected ms since the epoch or ISO 8601 UTC") }
            if let until, Timestamp.parse(until) == nil { throw ValidationError("--until: expected ms since the epoch or ISO 8601 UTC") }
            if let msgId, MessageId.decodeOffsetMessageId(msgId) == nil {
                throw ValidationError("--msg-id: expected an offset message id of 32 (IPv4) or 56 (IPv6) hex characters")
            }
            if let limit, limit < 0 { throw ValidationError("--limit must not be negative") }
        }

        func run() throws {
            let layout = try storeArguments.layout()
            let sink = LineSink()
            switch what {
            case .commitlog:
                var dump = CommitLogDump()
                dump.format = format
                dump.hexView = hex
                dump.continuePastDamage = continuePastDamage
                dump.describer = RecordDescriber(bodyMode: body, delayLevels: layout.options.delayLevels, includeDigests: !noDigests)
                var filter = MessageFilter()
                filter.topic = topic
                filter.queueId = queue
                filter.fromOffset = fromOffset ?? 0
                filter.toOffset = toOffset ?? .max
                filter.since = since.flatMap(Timestamp.parse)
                filter.until = until.flatMap(Timestamp.parse)
                filter.key = key
                filter.tag = tag
                filter.limit = limit
                if let msgId, let decoded = MessageId.decodeOffsetMessageId(msgId) {
                    filter.fromOffset = max(filter.fromOffset, decoded.physicalOffset)
                    filter.toOffset = min(filter.toOffset, decoded.physicalOffset + 1)
                    filter.limit = 1
                }
                dump.filter = filter
                try RocketMQStoreCLI.run { _ = try dump.run(layout, into: sink) }
            case .consumequeue, .index, .checkpoint, .config:
                var failed = false
                try RocketMQStoreCLI.run {
                    try StoreFilesDump(format: format, topic: topic, queueId: queue).run(what.target, layout, into: sink) { problem in
                        sink.flush()
                        printError("rmqstore: \(problem.error)")
                        failed = failed || problem.isError
                    }
                }
                if failed {
                    sink.flush()
                    throw ExitCode(65)
                }
            }
            sink.flush()
        }
    }
}

enum DumpTarget: String, ExpressibleByArgument, CaseIterable {
    case commitlog, consumequeue, index, checkpoint, config

    var target: StoreFilesDump.Target {
        switch self {
        case .commitlog, .consumequeue: .consumeQueue
        case .index: .index
        case .checkpoint: .checkpoint
        case .config: .config
        }
    }
}

enum RocketMQStoreCLI {
    static func run<T>(_ body: () throws -> T) throws -> T { try rmqstore.run(body) }
}
