// `rmqstore salvage`: a new, clean store holding every record of the source that passes every
// check, resynchronising after damage instead of stopping at it. The source is never changed.
//
// A candidate record at position p must have a message magic, PHYSICALOFFSET = p, a consistent
// size formula and a matching body CRC. Kept records are copied byte for byte into a new
// commitlog (the engine's writable mapped files, same file size), with only PHYSICALOFFSET
// rewritten to the new position, so topic, queue, queue offset, timestamps and properties stay
// as they were; consume queues and index are then dispatched from the new log with the
// engine's writers, and the checkpoint and config are written.

import RocketMQFormat
import RocketMQStore

public struct StoreSalvager {
    public var layout: StoreLayout
    public var output: String

    public init(layout: StoreLayout, output: String) {
        self.layout = layout
        self.output = output
    }

    public struct LostRecord: Sendable, Hashable {
        public var physicalOffset: Int64
        public var totalSize: Int32
        public var reason: String
    }

    public struct QueueGap: Sendable, Hashable {
        public var topic: String
        public var queueId: Int32
        /// Queue offsets [from, to) with no kept record.
        public var from: Int64
        public var to: Int64
    }

    public struct Report: Sendable {
        public var kept = 0
        public var keptBytes: Int64 = 0
        public var lost: [LostRecord] = []
        /// Source byte ranges skipped (physical offsets), zero tails excluded.
        public var skipped: [Range<Int64>] = []
        public var gaps: [QueueGap] = []
        public var outputFiles = 0
    }

    public func run() throws(StoreError) -> Report {
        if FileSystem.exists(output), !(try FileSystem.list(output)).isEmpty {
            throw StoreError(.usage, path: output, "the output directory exists and is not empty; salvage writes a new store")
        }
        try DurableFile.makeDirectories(output + "/commitlog")
        var report = Report()
        let fileSize = Int(layout.commitLogFileSize)
        let options = RecordCheckOptions(checkCRC: true, acceptVersion2: true, delayLevels: layout.options.delayLevels)
        var writer = SalvageLogWriter(directory: output + "/commitlog", fileSize: fileSize,
                                      firstOffset: layout.commitLogFiles.first?.fromOffset ?? 0)
        var nextQueueOffset: [String: (topic: String, queueId: Int32, next: Int64)] = [:]

        for file in layout.commitLogFiles where file.size > 0 {
            let region = try MappedRegion(path: file.path)
            var failure: StoreError?
            region.withBytes { bytes in
                var p = 0
                var skipStart: Int?
                func endSkip(at q: Int) {
                    if let start = skipStart, q > start {
                        report.skipped.append(file.fromOffset + Int64(start)..<file.fromOffset + Int64(q))
                    }
                    skipStart = nil
                }
                while p < bytes.count {
                    let entry = RecordDecoder.decode(bytes, at: p, options: options)
                    if case .message(let record) = entry, record.check.success, record.totalSize > 0,
                       record.physicalOffset == file.fromOffset + Int64(p) {
                        endSkip(at: p)
                        do throws(StoreError) { try writer.append(record) } catch { failure = error; return }
                        report.kept += 1
                        report.keptBytes += Int64(record.totalSize)
                        if record.transactionType.isDispatchedToConsumeQueue {
                            let key = record.topic + "/" + String(record.queueId)
                            let expected = nextQueueOffset[key]?.next ?? record.queueOffset
                            if record.queueOffset > expected {
                                report.gaps.append(QueueGap(topic: record.topic, queueId: record.queueId, from: expected, to: record.queueOffset))
                            }
                            nextQueueOffset[key] = (record.topic, record.queueId, max(expected, record.queueOffset + 1))
                        }
                        p += Int(record.totalSize)
                        continue
                    }
                    if case .blank = entry, bytes.isAllZero(from: p + 8) || p + 8 >= bytes.count { endSkip(at: p); break }
                    if bytes.isAllZero(from: p) { endSkip(at: p); break }
                    // A damaged record whose header still names this position is a lost record.
                    if case .message(let record) = entry, record.physicalOffset == file.fromOffset + Int64(p) {
                        report.lost.append(LostRecord(physicalOffset: file.fromOffset + Int64(p), totalSize: record.totalSize,
                                                      reason: record.check.failure.map { "\($0)" } ?? "fails the check"))
                    }
                    if skipStart == nil { skipStart = p }
                    p = Self.nextCandidate(in: bytes, after: p, fileFromOffset: file.fromOffset) ?? bytes.count
                    if p == bytes.count {
                        var last = bytes.count
                        while last > (skipStart ?? 0) && bytes[last - 1] == 0 { last -= 1 }
                        endSkip(at: last)
                    }
                }
            }
            if let failure { throw failure }
        }
        let end = try writer.finish()
        report.outputFiles = writer.filesWritten

        // Consume queues and index from the new log, with the engine's writers.
        let indexLayout = StoreRebuilder(layout: layout).indexLayout
        let dispatcher = StoreDispatcher(storeRoot: output, mappedFileSizeConsumeQueue: Int(layout.consumeQueueFileSize),
                                         indexLayout: indexLayout, delayLevels: layout.options.delayLevels)
        let newLayout = try StoreLayout.discover(output, options: StoreOptions(
            mappedFileSizeCommitLog: layout.commitLogFileSize, mappedFileSizeConsumeQueue: layout.consumeQueueFileSize,
            delayLevels: layout.options.delayLevels))
        var lastTimestamp: Int64 = 0
        do {
            try CommitLogWalker(layout: newLayout, checkOptions: RecordCheckOptions(checkCRC: false, delayLevels: layout.options.delayLevels))
                .walk(toOffset: end) { event in
                    if case .message(_, let record) = event, record.check.success {
                        try dispatcher.dispatch(record)
                        lastTimestamp = record.storeTimestamp
                    }
                    return .proceed
                }
        } catch let error as StoreError { throw error } catch { throw StoreError(.io, path: output, "\(error)") }
        dispatcher.flush(index: true)
        let indexEnd = dispatcher.index?.files.last?.endTimestamp ?? 0
        dispatcher.shutdown()
        let checkpoint = StoreCheckpoint(physicMsgTimestamp: lastTimestamp, logicsMsgTimestamp: dispatcher.logicsMsgTimestamp,
                                         indexMsgTimestamp: indexEnd)
        try DurableFile.replaceAtomically(output + "/checkpoint", with: checkpoint.encoded())
        if FileSystem.isDirectory(layout.root + "/config") {
            try DurableFile.makeDirectories(output + "/config")
            // As the broker loads them: the file, else its good .bak; an unparsable one is left out
            // (the broker would start without it) rather than copied into the clean store.
            for name in layout.configFiles where !name.hasSuffix(".bak") || !layout.configFiles.contains(String(name.dropLast(4))) {
                let base = name.hasSuffix(".bak") ? String(name.dropLast(4)) : name
                guard name.hasSuffix(".json") || base.hasSuffix(".json") else {
                    try DurableFile.copyFile(layout.root + "/config/" + name, to: output + "/config/" + name)
                    continue
                }
                if let loaded = try ConfigFileLoader.load(base, in: layout) {
                    try DurableFile.replaceAtomically(output + "/config/" + base, with: loaded.bytes)
                }
            }
        }
        try DurableFile.replaceAtomically(output + "/lock", with: Array("lock".utf8))
        return report
    }

    /// The next position after `p` where a record with a message magic and PHYSICALOFFSET equal
    /// to its position starts (its full check is left to the caller).
    static func nextCandidate(in bytes: UnsafeRawBufferPointer, after p: Int, fileFromOffset: Int64) -> Int? {
        var q = p + 1
        while q + 36 <= bytes.count {
            guard let magic = bytes.readBigEndian(Int32.self, at: q + 4) else { return nil }
            if MessageVersion(magic: magic) != nil, bytes.readBigEndian(Int64.self, at: q + 28) == fileFromOffset + Int64(q) {
                return q
            }
            q += 1
        }
        return nil
    }
}

/// Appends records to a new commitlog through the engine's writable mapped files, rolling to
/// the next file with a blank marker as the broker does (a record goes in only when its length
/// plus 8 fits).
struct SalvageLogWriter {
    let directory: String
    let fileSize: Int
    var current: MappedFile?
    var nextFrom: Int64
    var filesWritten = 0
    private var scratch: [UInt8] = []

    init(directory: String, fileSize: Int, firstOffset: Int64) {
        self.directory = directory
        self.fileSize = fileSize
        nextFrom = firstOffset
    }

    mutating func append(_ record: MessageRecordView) throws(StoreError) {
        let size = Int(record.totalSize)
        if current == nil || current!.remaining < size + BlankMarker.length {
            if let file = current {
                let blank = BlankMarker.encode(totalSize: Int32(file.remaining))
                _ = blank.withUnsafeBytes { file.append($0) }
                file.forceAll()
                file.unmap()
            }
            current = try MappedFile(path: directory + "/" + SegmentFile.name(forOffset: nextFrom), fileFromOffset: nextFrom,
                                     fileSize: fileSize, create: true)
            nextFrom += Int64(fileSize)
            filesWritten += 1
        }
        guard let file = current else { return }
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: record.bytes)
        let newOffset = file.fileFromOffset + Int64(file.wrotePosition)
        scratch.withUnsafeMutableBytes { $0.storeBytes(of: newOffset.bigEndian, toByteOffset: 28, as: Int64.self) }
        _ = scratch.withUnsafeBytes { file.append($0) }
    }

    /// Flushes the last file; returns the end offset of the new log.
    mutating func finish() throws(StoreError) -> Int64 {
        guard let file = current else { return nextFrom }
        let end = file.fileFromOffset + Int64(file.wrotePosition)
        file.forceAll()
        file.unmap()
        current = nil
        return end
    }
}
