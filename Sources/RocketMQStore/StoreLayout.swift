// Discovers what a store directory holds (FORMAT.md §1), without changing anything.
//
// Sizes are inferred from the files themselves (a store may use any mappedFileSize), never
// assumed; options override them. 5.x paths are recognised and left alone; a DLedger store is
// refused because its commitlog uses another framing.

import RocketMQFormat

public struct StoreLayout: Sendable {
    public var root: String
    public var commitLogFiles: [SegmentFile]
    /// The configured commitlog file size: from options, else inferred from the files.
    public var commitLogFileSize: Int64
    public var consumeQueues: [ConsumeQueueLocation]
    public var consumeQueueFileSize: Int64
    /// Index files sorted by name (creation time), oldest first.
    public var indexFiles: [SegmentFile]
    public var hasConsumeQueueDirectory: Bool
    public var hasIndexDirectory: Bool
    public var checkpointPath: String? = nil
    public var abortExists: Bool
    public var lockExists: Bool
    /// config/*.json (and .bak) file names present.
    public var configFiles: [String]
    /// Entries that RocketMQ's loader would trip over or skip.
    public var strays: [StrayEntry]
    /// 5.x (or optional) paths recognised and never touched.
    public var recognized: [String]
    /// consumequeue/ holds RocksDB files: the file consume queues are not authoritative.
    public var rocksDBConsumeQueue: Bool
    public var options: StoreOptions

    public var commitLogDirectory: String { root + "/commitlog" }
    public var consumeQueueDirectory: String { root + "/consumequeue" }
    public var indexDirectory: String { root + "/index" }

    public static let recognizedNames: Set<String> = [
        "batchconsumequeue", "consumequeue_ext", "timerlog", "timerwheel", "compaction", "epochFileCheckpoint",
        "brokerIdentity", "kvStore", "tiered_index_file", "transaction", "abort.bak", "rocksdb",
    ]

    /// Reads the layout of the store at `root`.
    public static func discover(_ root: String, options: StoreOptions = StoreOptions()) throws(StoreError) -> StoreLayout {
        let root = normalize(root)
        guard let rootEntry = try FileSystem.status(root) else {
            throw StoreError(.io, path: root, "no such file or directory", errno: 2)
        }
        if rootEntry.kind == .symlink { throw FileSystem.unresolvedLinkError(root) }
        guard rootEntry.kind == .directory else {
            throw StoreError(.notAStore, path: root, "not a directory (STORE is the store root holding commitlog/)")
        }
        let top = try FileSystem.list(root)
        if let dledger = top.first(where: { $0.name.lowercased().hasPrefix("dledger") }) {
            throw StoreError(.notAStore, path: root + "/" + dledger.name,
                             "a DLedger commitlog (enableDLegerCommitLog): its entries use another framing; rmqstore reads only file-based commitlogs")
        }
        if let link = top.first(where: { $0.name == "commitlog" && $0.kind == .symlink }) {
            throw FileSystem.unresolvedLinkError(root + "/" + link.name)
        }
        guard let commitLogEntry = top.first(where: { $0.name == "commitlog" }), commitLogEntry.kind == .directory else {
            var hint = ""
            if top.contains(where: { $0.name == "store" && $0.kind == .directory }) { hint = "; did you mean \(root)/store?" }
            throw StoreError(.notAStore, path: root, "not a RocketMQ store: no commitlog/ directory\(hint)")
        }
        _ = commitLogEntry

        var strays: [StrayEntry] = []
        var recognized: [String] = []
        for entry in top where recognizedNames.contains(entry.name) { recognized.append(entry.name) }

        // commitlog/
        var commitLogFiles: [SegmentFile] = []
        for entry in try FileSystem.list(root + "/commitlog") {
            let relative = "commitlog/" + entry.name
            guard entry.kind == .file else {
                strays.append(StrayEntry(relativePath: relative, reason: entry.kind == .directory ? "a directory" : "not a regular file"))
                continue
            }
            guard let offset = SegmentFile.parseName(entry.name) else {
                strays.append(StrayEntry(relativePath: relative, reason: "name is not a 20-digit offset"))
                continue
            }
            commitLogFiles.append(SegmentFile(name: entry.name, path: root + "/" + relative, relativePath: relative,
                                              fromOffset: offset, size: entry.size, modificationTime: entry.modificationTime))
        }
        commitLogFiles.sort { $0.fromOffset < $1.fromOffset }
        let commitLogFileSize = options.mappedFileSizeCommitLog
            ?? inferSegmentSize(commitLogFiles, fallback: StoreOptions.defaultCommitLogFileSize)
        commitLogFiles = keepAddressable(commitLogFiles, fileSize: commitLogFileSize, strays: &strays)

        // consumequeue/<topic>/<queueId>/
        var queues: [ConsumeQueueLocation] = []
        var rocksDB = false
        let cqRoot = root + "/consumequeue"
        let hasCQ = FileSystem.isDirectory(cqRoot)
        if hasCQ {
            for topicEntry in try FileSystem.list(cqRoot) {
                guard topicEntry.kind == .directory else {
                    if ["CURRENT", "IDENTITY", "LOCK", "LOG"].contains(topicEntry.name) || topicEntry.name.hasPrefix("MANIFEST-")
                        || topicEntry.name.hasSuffix(".sst") || topicEntry.name.hasPrefix("OPTIONS-") || topicEntry.name.hasSuffix(".log") {
                        rocksDB = true
                    } else {
                        strays.append(StrayEntry(relativePath: "consumequeue/" + topicEntry.name, reason: "not a topic directory"))
                    }
                    continue
                }
                for queueEntry in try FileSystem.list(cqRoot + "/" + topicEntry.name) {
                    let queueRelative = "consumequeue/\(topicEntry.name)/\(queueEntry.name)"
                    guard queueEntry.kind == .directory, let queueId = Int32(queueEntry.name),
                          queueEntry.name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                        strays.append(StrayEntry(relativePath: queueRelative, reason: "queue directory name is not a decimal queue id"))
                        continue
                    }
                    var files: [SegmentFile] = []
                    for fileEntry in try FileSystem.list(cqRoot + "/" + topicEntry.name + "/" + queueEntry.name) {
                        let relative = queueRelative + "/" + fileEntry.name
                        guard fileEntry.kind == .file, let offset = SegmentFile.parseName(fileEntry.name) else {
                            strays.append(StrayEntry(relativePath: relative, reason: "name is not a 20-digit offset"))
                            continue
                        }
                        files.append(SegmentFile(name: fileEntry.name, path: root + "/" + relative, relativePath: relative,
                                                 fromOffset: offset, size: fileEntry.size, modificationTime: fileEntry.modificationTime))
                    }
                    files.sort { $0.fromOffset < $1.fromOffset }
                    queues.append(ConsumeQueueLocation(topic: topicEntry.name, queueId: queueId, files: files))
                }
            }
        }
        queues.sort { ($0.topic, $0.queueId) < ($1.topic, $1.queueId) }
        let cqFileSize = options.mappedFileSizeConsumeQueue
            ?? inferSegmentSize(queues.flatMap(\.files), fallback: StoreOptions.defaultConsumeQueueFileSize)
        for i in queues.indices {
            queues[i].files = keepAddressable(queues[i].files, fileSize: cqFileSize, strays: &strays)
        }

        // index/
        var indexFiles: [SegmentFile] = []
        let hasIndex = FileSystem.isDirectory(root + "/index")
        if hasIndex {
            for entry in try FileSystem.list(root + "/index") {
                let relative = "index/" + entry.name
                guard entry.kind == .file, entry.name.utf8.count == 17,
                      entry.name.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    strays.append(StrayEntry(relativePath: relative, reason: "name is not a 17-digit creation time"))
                    continue
                }
                indexFiles.append(SegmentFile(name: entry.name, path: root + "/" + relative, relativePath: relative,
                                              fromOffset: 0, size: entry.size, modificationTime: entry.modificationTime))
            }
        }

        // Broker settings the files do not record: the delays the schedule queues show, and the
        // index geometry the entries confirm, unless given.
        var options = options
        if !options.delayLevelsGiven, let table = options.delayLevels.adjusted(toObserved: observedDelays(
            queues: queues, commitLogFiles: commitLogFiles, commitLogFileSize: commitLogFileSize)) {
            options.delayLevels = table
        }
        if options.maxHashSlotNum == nil, options.maxIndexNum == nil, let geometry = confirmedIndexGeometry(indexFiles) {
            options.maxHashSlotNum = geometry.hashSlotNum
            options.maxIndexNum = geometry.indexNum
        }

        var configFiles: [String] = []
        if FileSystem.isDirectory(root + "/config") {
            for entry in try FileSystem.list(root + "/config") where entry.kind == .file {
                configFiles.append(entry.name)
            }
        }

        let checkpoint = top.first { $0.name == "checkpoint" && $0.kind == .file }
        return StoreLayout(
            root: root, commitLogFiles: commitLogFiles, commitLogFileSize: commitLogFileSize, consumeQueues: queues,
            consumeQueueFileSize: cqFileSize, indexFiles: indexFiles, hasConsumeQueueDirectory: hasCQ,
            hasIndexDirectory: hasIndex, checkpointPath: checkpoint.map { _ in root + "/checkpoint" },
            abortExists: top.contains { $0.name == "abort" }, lockExists: top.contains { $0.name == "lock" },
            configFiles: configFiles, strays: strays, recognized: recognized, rocksDBConsumeQueue: rocksDB,
            options: options)
    }

    /// The segment size: consecutive names differ by exactly one file size, so the smallest
    /// positive step between names is it; with a single file, its own size.
    static func inferSegmentSize(_ files: [SegmentFile], fallback: Int64) -> Int64 {
        var step: Int64 = 0
        var byQueue = files
        byQueue.sort { $0.path < $1.path }
        for (a, b) in zip(byQueue, byQueue.dropFirst()) {
            let parentA = a.path.dropLast(a.name.count), parentB = b.path.dropLast(b.name.count)
            guard parentA == parentB else { continue }
            let difference = b.fromOffset - a.fromOffset
            if difference > 0 && (step == 0 || difference < step) { step = difference }
        }
        let largest = files.map(\.size).max() ?? 0
        if step > 0 { return step }
        return largest > 0 ? largest : fallback
    }

    /// Offsets are Java longs: a segment whose byte range [name, name + size) does not fit in
    /// one cannot have been written by a broker, and every reader adds positions to the name.
    /// Such a file (e.g. `09223372036854775800`) is set aside as a stray instead.
    static func keepAddressable(_ files: [SegmentFile], fileSize: Int64, strays: inout [StrayEntry]) -> [SegmentFile] {
        files.filter { file in
            let span = max(file.size, fileSize, 1)
            if file.fromOffset <= Int64.max - span { return true }
            strays.append(StrayEntry(relativePath: file.relativePath,
                                     reason: "name is an offset too large for a \(span)-byte file (the range passes 2^63 - 1)"))
            return false
        }
    }

    static func normalize(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }

    /// The commitlog file holding physical offset `offset`, if any.
    public func commitLogFile(containing offset: Int64) -> SegmentFile? {
        commitLogFiles.last { $0.fromOffset <= offset && offset < $0.fromOffset + max($0.size, commitLogFileSize) }
    }

    /// Sum of `relativePath` lookups for messages.
    public func relative(_ path: String) -> String {
        path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : path
    }
}
