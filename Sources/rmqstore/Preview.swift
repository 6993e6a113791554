import ArgumentParser
import RocketMQStore
import RocketMQTools

extension StartupRules: ExpressibleByArgument {}

/// Options of the start-up simulation, shared by `preview` and `recover --preview`.
struct PreviewArguments: ParsableArguments {
    @Flag(help: "Simulate an abnormal start even without an abort file (what a crash right now would lead to).")
    var abnormal = false

    @Option(help: "Broker whose rules are simulated: 4.9.8 or 5.3.3.")
    var rules: StartupRules = .rocketMQ4

    @Flag(name: .customLong("no-check-crc"), help: "Simulate checkCRCOnRecover=false.")
    var noCheckCRC = false

    var options: StartupPreviewOptions {
        StartupPreviewOptions(rules: rules, forceAbnormal: abnormal, checkCRCOnRecover: !noCheckCRC)
    }

    /// Runs the simulation and prints it; exits 1 when the broker would cut, delete or lose data.
    func run(layout: StoreLayout, format: OutputFormat) throws {
        let options = self.options
        let preview = try withStoreErrors { try StartupSimulator(layout: layout, options: options).run() }
        let sink = LineSink()
        for line in StartupPreviewFormatter(format: format).lines(preview) { sink.writeLine(line) }
        sink.flush()
        if StartupPreviewFormatter.hasConsequences(preview) { throw ExitCode(1) }
    }
}

extension Rmqstore {
    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show what a RocketMQ broker will do with this store on its next start, changing nothing.",
            discussion: """
                Simulates DefaultMessageStore.load() and recovery the way the broker runs them: normal \
                recovery (no abort file: the last 3 commitlog files are scanned) or abnormal recovery \
                (abort present: the start file is chosen from the checkpoint timestamps and every record \
                from there is re-dispatched). Reports whether load() fails (a commitlog or consume queue \
                file of the wrong size, e.g. a torn last file or a zero-length file, apache/rocketmq#6904, \
                #3257, #9728), the file recovery starts from, where it cuts the log (processOffset) and why, \
                which commitlog files it deletes, which consume queue units it truncates, which index files \
                it deletes and which index entries are lost, and the first dispatch after start.

                The prediction is checked against real 4.9.8 and 5.3.3 brokers on every bundled fixture.

                Exit status: 0 the broker would start without cutting, deleting or losing anything; \
                1 it would (or load() fails); 64 usage; 74 I/O.
                """)

        @OptionGroup var storeArguments: StoreArguments
        @OptionGroup var previewArguments: PreviewArguments

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        func run() throws {
            try previewArguments.run(layout: storeArguments.layout(), format: format)
        }
    }
}
