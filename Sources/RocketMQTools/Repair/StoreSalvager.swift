// `rmqstore salvage`: a new, clean store holding every record of the source that passes every
// check, resynchronising after damage instead of stopping at it. The source is never changed.
//
// A candidate record at position p must have a message magic, PHYSICALOFFSET = p, a consistent
// size formula and a matching body CRC. Kept records are copied byte for byte into a new
// commitlog (the engine's writable mapped files, same file size), with only PHYSICALOFFSET
// rewritten to the new position, so topic, queue, queue offset, timestamps and properties stay
// as they were; consume queues and index are then dispatched from the new log with the
// engine's writers, and the checkpoint and config are written.
//
// A lost record leaves a gap in its queue's QUEUEOFFSETs, which the report lists. With
// `renumber`, each queue's kept records get contiguous QUEUEOFFSETs instead (SalvageQueueOffsets)
// and the committed offsets in consumerOffset.json/delayOffset.json follow them.

import RocketMQFormat
import RocketMQStore

public struct StoreSalvager {
    public var layout: StoreLayout
    public var output: String
    /// Give each queue's kept records contiguous QUEUEOFFSETs (and move committed offsets).
    public var renumber: Bool

    public init(layout: StoreLayout, output: String, renumber: Bool = false) {
        self.layout = layout
        self.output = output
        self.renumber = renumber
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

    /// A queue whose kept records got new QUEUEOFFSETs (`renumber`).
    public struct QueueRenumbering: Sendable, Hashable {
        public var topic: String
        public var queueId: Int32
        /// The first kept record's QUEUEOFFSET (unchanged).
        public var firstQueueOffset: Int64
        public var records: Int
        /// Records whose QUEUEOFFSET changed.
        public var renumbered: Int
        /// The queue's end before (source offsets) and after renumbering.
        public var sourceNextQueueOffset: Int64
        public var nextQueueOffset: Int64
    }

    /// A committed offset moved by `renumber` (consumerOffset.json: entry `topic@group`;
    /// delayOffset.json: entry = delay level).
    public struct OffsetAdjustment: Sendable, Hashable {
        public var file: String
        public var entry: String
        public var topic: String
        public var queueId: Int32
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
        /// `renumber` only: the queues whose records got new QUEUEOFFSETs.
        public var renumbered: [QueueRenumbering] = []
        /// `renumber` only: the committed offsets moved with them.
        public var offsetAdjustments: [OffsetAdjustment] = []
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
        var queueOffsets = SalvageQueueOffsets(renumber: renumber)

        for file in layout.commitLogFiles where file.size > 0 {
            let region = try MappedRegion(path: file.path)
            region.prefetchDataPart()
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
                       record.physicalOffset == file.fromOffset + Int64(p), Self.implausibleHeader(record) == nil {
                        endSkip(at: p)
                        // PREPARED/ROLLBACK records are not dispatched (QUEUEOFFSET 0): left alone.
                        var queueOffset = record.queueOffset
                        if record.transactionType.isDispatchedToConsumeQueue {
                            queueOffset = queueOffsets.place(topic: record.topic, queueId: record.queueId,
                                                             queueOffset: record.queueOffset, step: Self.queueOffsetStep(record))
                        }
                        do throws(StoreError) { try writer.append(record, queueOffset: queueOffset) } catch { failure = error; return }
                        report.kept += 1
                        report.keptBytes += Int64(record.totalSize)
                        p += Int(record.totalSize)
                        continue
                    }
                    if case .blank = entry, bytes.isAllZero(from: p + 8) || p + 8 >= bytes.count { endSkip(at: p); break }
                    if bytes.isAllZero(from: p) { endSkip(at: p); break }
                    // A damaged record whose header still names this position is a lost record.
                    if case .message(let record) = entry, record.physicalOffset == file.fromOffset + Int64(p) {
                        report.lost.append(LostRecord(physicalOffset: file.fromOffset + Int64(p), totalSize: record.totalSize,
                                                      reason: record.check.failure.map { "\($0)" } ?? Self.implausibleHeader(record) ?? "fails the check"))
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
        report.gaps = queueOffsets.gaps
        report.renumbered = queueOffsets.renumberings

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
        var adjuster = SalvageOffsetAdjuster(queues: renumber ? queueOffsets.queues : [:])
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
                    let bytes = adjuster.adjusted(base, value: loaded.value)
                    try DurableFile.replaceAtomically(output + "/config/" + base, with: bytes ?? loaded.bytes)
                }
            }
        }
        report.offsetAdjustments = adjuster.adjustments
        try DurableFile.replaceAtomically(output + "/lock", with: Array("lock".utf8))
        return report
    }

    /// Why a record that passes the store's check (body CRC included) still cannot be kept: it
    /// fails one of verify's other record checks (SYSFLAG bits, the CRC of an empty body, a 5.x
    /// property CRC: a kept record must not make the new store fail verify), or a header field
    /// outside the CRC holds what no broker writes, so the record's place in the new store (its
    /// queue directory) would be made up. nil when the header is plausible.
    static func implausibleHeader(_ record: MessageRecordView) -> String? {
        // PHYSICALOFFSET = position is the caller's resynchronisation rule, checked already.
        if let failure = CommitLogFileScanner.failure(of: record, physical: record.physicalOffset) {
            return "\(failure.message) (\(failure.code))"
        }
        if record.queueId < 0 { return "QUEUEID \(record.queueId) is negative" }
        // A topic becomes a directory name: RocketMQ's topic names never hold '/' or NUL, nor are "." or "..".
        let topic = record.topicBytes
        if topic.contains(0x2F) || topic.contains(0) || topic.elementsEqual(".".utf8) || topic.elementsEqual("..".utf8) {
            return "TOPIC is not a name a broker accepts"
        }
        return nil
    }

    /// The queue offsets a dispatched record takes: INNER_NUM for a [5.x] inner batch, else 1.
    static func queueOffsetStep(_ record: MessageRecordView) -> Int64 {
        guard record.flags.contains(.innerBatch), let num = record.property("INNER_NUM").flatMap({ Int64($0) }), num > 0 else { return 1 }
        return num
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
