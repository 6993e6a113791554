// Options of the command that opens a store with the engine (put).

import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

struct EngineArguments: ParsableArguments {
    @Argument(help: "The store root (the directory holding commitlog/).")
    var store: String

    @Option(help: ArgumentHelp("Commitlog file size in bytes for a new store (mappedFileSizeCommitLog, default 1 GiB); an existing store keeps its own.", valueName: "bytes"))
    var commitlogFileSize: Int?

    @Option(name: .customLong("cq-file-size"), help: ArgumentHelp("Consume queue file size in bytes for a new store (mappedFileSizeConsumeQueue, default 6000000).", valueName: "bytes"))
    var cqFileSize: Int?

    @Option(help: ArgumentHelp("Index hash slots per file for a new store (maxHashSlotNum, default 5000000).", valueName: "n"))
    var indexSlots: Int?

    @Option(help: ArgumentHelp("Index entries per file for a new store (maxIndexNum, default 20000000).", valueName: "n"))
    var indexEntries: Int?

    @Option(help: ArgumentHelp("flushDiskType: async (ASYNC_FLUSH, default) or sync (SYNC_FLUSH: a put returns after its record is forced to disk).", valueName: "mode"))
    var flush: String = "async"

    func validate() throws {
        if let size = commitlogFileSize, size < 4096 { throw ValidationError("--commitlog-file-size must be at least 4096") }
        if let size = cqFileSize, size <= 0 || size % 20 != 0 {
            throw ValidationError("--cq-file-size must be a positive multiple of 20 (the unit size)")
        }
        if let slots = indexSlots, slots <= 0 { throw ValidationError("--index-slots must be positive") }
        if let entries = indexEntries, entries <= 1 { throw ValidationError("--index-entries must be greater than 1") }
        guard ["sync", "async"].contains(flush) else { throw ValidationError("--flush must be sync or async") }
    }

    var config: MessageStoreConfig {
        var config = MessageStoreConfig()
        if let commitlogFileSize { config.mappedFileSizeCommitLog = commitlogFileSize }
        if let cqFileSize { config.mappedFileSizeConsumeQueue = cqFileSize }
        if let indexSlots { config.maxHashSlotNum = indexSlots }
        if let indexEntries { config.maxIndexNum = indexEntries }
        config.flushDiskType = flush == "sync" ? .syncFlush : .asyncFlush
        return config
    }

    /// Opens the store with the engine (taking its lock: exit 75 when in use). `mustExist`
    /// refuses a path without commitlog/ instead of creating a new store there.
    func open(mustExist: Bool) throws -> MessageStore {
        try run {
            if mustExist && !FileSystem.isDirectory(store + "/commitlog") {
                throw StoreError(.notAStore, path: store, "not a RocketMQ store: no commitlog/ directory")
            }
            return try MessageStore.open(store, config: config)
        }
    }
}
