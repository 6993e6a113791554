import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

extension Rmqstore {
    struct Stat: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Summarise a store: per commitlog file, per topic and queue, by kind, and consumer lag.",
            discussion: """
                Walks the commitlog once (no CRC checks: see `verify` for a verdict) and prints, per \
                commitlog file, the messages, bytes, blank bytes and store time range; per topic and \
                queue, the messages, bytes, min/max queue offset and time range; counts by sysflag kind \
                (compressed, multi-tag, transaction types, IPv6 hosts, inner batches, V2 records); and the \
                consumer lag per group and queue from config/consumerOffset.json (or its .bak). \
                With --format json: one object per line, `type` being file, queue, kinds, lag or total.
                """)

        @OptionGroup var storeArguments: StoreArguments

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            let layout = try storeArguments.layout()
            let stats = try rmqstore.run { try StoreStatistics.gather(layout) }
            let sink = LineSink()
            StatisticsPrinter(format: format).print(stats, layout: layout, into: sink)
            sink.flush()
        }
    }
}
