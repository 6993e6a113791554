import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read messages of one queue from a queue offset, as a consumer pull would.",
            discussion: """
                Opens the store with the engine (lock, recovery), reads up to --max units of the consume \
                queue from --offset, keeps those whose tag matches --tag (by tagsCode, confirmed against \
                TAGS), and prints the messages in the dump schema, then a result line (status, \
                nextBeginOffset, min/max offset; `type` getResult in JSON). Exit 75 when the store is locked.
                """)

        @OptionGroup var engineArguments: EngineArguments

        @Option(help: "Topic.")
        var topic: String

        @Option(help: "Queue id.")
        var queue: Int32

        @Option(help: "First queue offset to read.")
        var offset: Int64 = 0

        @Option(help: "At most this many messages.")
        var max: Int = 32

        @Option(help: "Only messages with this tag (repeat for several).")
        var tag: [String] = []

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .json

        @Option(help: "Bodies in the output: none, text, hex or base64.")
        var body: RecordDescriber.BodyMode = .none

        func run() throws {
            let store = try engineArguments.open(mustExist: true)
            defer { try? store.close() }
            let get = MessageGet(topic: topic, queueId: queue, offset: offset, maxCount: max,
                                 tags: tag.isEmpty ? nil : Set(tag), format: format,
                                 describer: RecordDescriber(bodyMode: body, delayLevels: store.config.delayLevels))
            get.run(store, into: LineSink())
            try rmqstore.run { try store.close() }
        }
    }
}
