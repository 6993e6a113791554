import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Put: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Append messages read as NDJSON from standard input (creates the store if needed).",
            discussion: """
                One JSON object per line: topic, queueId, body (text) or bodyBase64, tags, keys, properties \
                (object) or propertiesRaw (the exact stored string, U+0001/U+0002 separators, kept verbatim), \
                delayLevel, flag, bornHost, bornTimestamp, sysFlag, reconsumeTimes, preparedTransactionOffset; \
                or a `batch` array of {body|bodyBase64, flag, tags, keys, properties|propertiesRaw} for one batch \
                put. Records are appended exactly as RocketMQ 4.9.8 appends them (queue offsets, delay rewrite to \
                SCHEDULE_TOPIC_XXXX, transaction rules, end-of-file blanks). Prints one NDJSON result per \
                appended message (status, topic, queueId, queueOffset, physicalOffset, size, storeTimestamp, \
                msgId) as soon as its put returns; refused lines print status and error. The store is opened \
                like a broker opens it (lock, recovery, abort file) and closed cleanly at end of input. An \
                existing store keeps its file sizes (inferred from its files). A store whose start would cut \
                records (a torn tail after a crash: see `rmqstore preview`) is refused with exit 65 and left \
                alone; `rmqstore recover` cuts them and keeps them in its salvage directory. Exit status 1 \
                when a line was refused, 65 when the start would cut records, 75 when the store is locked.
                """)

        @OptionGroup var engineArguments: EngineArguments

        @Option(help: ArgumentHelp("The broker address stored as STOREHOSTADDRESS (and used in msgIds).", valueName: "ip:port"))
        var storeHost: String = "127.0.0.1:10911"

        func run() throws {
            guard let host = HostAddress(parsing: storeHost) else {
                throw ValidationError("--store-host: expected ip:port or [ipv6]:port")
            }
            let root = engineArguments.store
            try rmqstore.run { try MessagePut.refuseIfStartCutsRecords(storeAt: root) }
            let store = try engineArguments.open(mustExist: false)
            let sink = LineSink()
            let summary = try rmqstore.run {
                defer { try? store.close() }
                return try MessagePut(defaults: PutRequest.Defaults(storeHost: host)).run(store, into: sink)
            }
            try rmqstore.run { try store.close() }
            if summary.refused > 0 || summary.inputErrors > 0 { throw ExitCode(1) }
        }
    }
}
