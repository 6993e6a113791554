import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Get: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read messages of one queue from a queue offset, as a consumer pull would.",
            discussion: """
                Reads up to --max units of the consume queue from --offset, keeps those whose tag matches \
                --tag (by tagsCode, confirmed against TAGS), and prints the messages in the dump schema, \
                then a result line (status, nextBeginOffset, min/max offset; `type` getResult in JSON), \
                with the statuses and offsets of RocketMQ's getMessage.

                Read-only: files are opened read-only, no lock is taken and nothing is created or \
                changed, so a store a running broker holds can be read. The queue bounds are those the \
                broker would recover from the files; nothing is repaired. A unit whose record cannot be \
                read (no file, zeros, a failed body CRC or size check) is reported with its file, byte \
                offset and reason (`type` unreadable in JSON) and skipped; the exit status is then 1.
                """)

        @OptionGroup var storeArguments: StoreArguments

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
            let reader = StoreReader(layout: try storeArguments.layout())
            let get = MessageGet(topic: topic, queueId: queue, offset: offset, maxCount: max,
                                 tags: tag.isEmpty ? nil : Set(tag), format: format,
                                 describer: RecordDescriber(bodyMode: body, delayLevels: reader.layout.options.delayLevels))
            let answer = get.run(reader, into: LineSink())
            if !answer.unreadable.isEmpty { throw ExitCode(1) }
        }
    }
}
