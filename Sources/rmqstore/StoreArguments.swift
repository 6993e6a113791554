// Options shared by every command that reads a store.

import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

struct StoreArguments: ParsableArguments {
    @Argument(help: "The store root (the directory holding commitlog/).")
    var store: String

    @Option(help: ArgumentHelp("Commitlog file size in bytes (mappedFileSizeCommitLog); inferred from the files when omitted.", valueName: "bytes"))
    var commitlogFileSize: Int64?

    @Option(name: .customLong("cq-file-size"), help: ArgumentHelp("Consume queue file size in bytes (mappedFileSizeConsumeQueue); inferred when omitted.", valueName: "bytes"))
    var cqFileSize: Int64?

    @Option(help: ArgumentHelp("Index hash slots per file (maxHashSlotNum); inferred from the index files (their entries, else their size) when omitted.", valueName: "n"))
    var indexSlots: Int?

    @Option(help: ArgumentHelp("Index entries per file (maxIndexNum); inferred when omitted.", valueName: "n"))
    var indexEntries: Int?

    @Option(help: ArgumentHelp("messageDelayLevel, e.g. \"1s 5s 10s 30s 1m …\" (when omitted: RocketMQ's default, with the delays the store's schedule queues show).", valueName: "levels"))
    var delayLevels: String?

    func validate() throws {
        if let size = commitlogFileSize, size <= 0 { throw ValidationError("--commitlog-file-size must be positive") }
        if let size = cqFileSize, size <= 0 || size % 20 != 0 {
            throw ValidationError("--cq-file-size must be a positive multiple of 20 (the unit size)")
        }
        if let slots = indexSlots, slots <= 0 { throw ValidationError("--index-slots must be positive") }
        if let entries = indexEntries, entries <= 1 { throw ValidationError("--index-entries must be greater than 1") }
        if let delayLevels, DelayLevelTable(parsing: delayLevels) == nil {
            throw ValidationError("--delay-levels: expected levels like \"1s 5s 10s 30s 1m 2h 1d\"")
        }
    }

    var options: StoreOptions {
        StoreOptions(
            mappedFileSizeCommitLog: commitlogFileSize, mappedFileSizeConsumeQueue: cqFileSize,
            maxHashSlotNum: indexSlots, maxIndexNum: indexEntries,
            delayLevels: delayLevels.flatMap(DelayLevelTable.init(parsing:)))
    }

    /// Discovers the layout, turning store errors into the documented exit status.
    func layout() throws -> StoreLayout {
        try run { try StoreLayout.discover(store, options: options) }
    }
}

extension OutputFormat: ExpressibleByArgument {}
extension RecordDescriber.BodyMode: ExpressibleByArgument {}

/// Runs `body`; a StoreError becomes a one-line message on stderr and its exit status.
func run<T>(_ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let error as StoreError {
        printError("rmqstore: \(error)")
        throw ExitCode(error.exitCode)
    } catch let error as FormatError {
        printError("rmqstore: \(error)")
        throw ExitCode(65)
    }
}

func printError(_ text: String) {
    var stderr = StandardError()
    print(text, to: &stderr)
}

struct StandardError: TextOutputStream {
    mutating func write(_ string: String) {
        var copy = string
        copy.withUTF8 { bytes in _ = Glibc.write(2, bytes.baseAddress, bytes.count) }
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// `run(_:)` under a name that does not clash with a command's own `run()`.
func withStoreErrors<T>(_ body: () throws -> T) throws -> T { try run(body) }
