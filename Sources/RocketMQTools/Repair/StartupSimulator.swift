// Replays a broker's `load()` + `recover()` + first dispatch on a store, read-only
// (FORMAT.md §11.1–§11.8, §19), and reports what it would delete, cut and rebuild.
//
// Every decision follows the broker's code path, quirks included, because the point is to tell
// an operator what *their* broker will do: the last-3-files normal scan that misses damage
// earlier in the log, the timestamp rule that picks the abnormal start file, deletion of every
// file after the cut, the unit-0 rule of truncateDirtyLogicFiles, the index files an abnormal
// start deletes. Memory: one mapped file at a time plus the units dispatch would append.

import RocketMQFormat
import RocketMQStore

public struct StartupSimulator {
    public var layout: StoreLayout
    public var options: StartupPreviewOptions

    public init(layout: StoreLayout, options: StartupPreviewOptions = StartupPreviewOptions()) {
        self.layout = layout
        self.options = options
    }

    /// Discovers the store at `root` and previews its next start.
    public static func preview(
        _ root: String, storeOptions: StoreOptions = StoreOptions(), options: StartupPreviewOptions = StartupPreviewOptions()
    ) throws(StoreError) -> StartupPreview {
        try StartupSimulator(layout: StoreLayout.discover(root, options: storeOptions), options: options).run()
    }

    public func run() throws(StoreError) -> StartupPreview {
        let abnormal = layout.abortExists || options.forceAbnormal
        var preview = StartupPreview(
            rules: options.rules, mode: abnormal ? .abnormal : .normal, abortPresent: layout.abortExists,
            loadFailure: nil, checkpoint: nil, commitLog: nil, consumeQueues: [], index: nil,
            maxPhyOffsetOfConsumeQueue: -1, reputFromOffset: nil, notes: [])
        var commitLogFiles = layout.commitLogFiles
        let loadCheck = try StartupLoadCheck(layout: layout, rules: options.rules)
        preview.notes = loadCheck.notes
        commitLogFiles.removeAll { loadCheck.autoDeleted.contains($0.relativePath) }
        if let path = layout.checkpointPath {
            let bytes = try FileSystem.read(path, offset: 0, count: StoreCheckpoint.fileSize)
            preview.checkpoint = bytes.withUnsafeBytes { try? StoreCheckpoint(decoding: $0) }
        }
        if let failure = loadCheck.failure {
            preview.loadFailure = failure
            return preview
        }
        let checkpoint = preview.checkpoint ?? StoreCheckpoint()
        let cache = DiskCache()

        // Index load (§11.7): an abnormal start deletes files newer than the checkpoint says.
        var indexDeleted: [String] = []
        var keptIndexEnd: Int64 = 0
        for file in layout.indexFiles {
            let header = try Self.indexHeader(file)
            if abnormal && header.endTimestamp > checkpoint.indexMsgTimestamp {
                indexDeleted.append(file.relativePath)
            } else {
                keptIndexEnd = header.endPhyOffset
            }
        }

        // Consume queue recovery (§11.4).
        let cqFileSize = Int(layout.consumeQueueFileSize)
        var queues: [SimulatedConsumeQueue] = []
        var queueIndex: [String: Int] = [:]
        for location in layout.consumeQueues {
            var queue = SimulatedConsumeQueue(
                topic: location.topic, queueId: location.queueId, fileSize: cqFileSize, cache: cache, diskFiles: location.files)
            try queue.recover()
            preview.maxPhyOffsetOfConsumeQueue = max(preview.maxPhyOffsetOfConsumeQueue, queue.maxPhysicOffset)
            queueIndex[queue.key] = queues.count
            queues.append(queue)
        }
        let filesBefore = Dictionary(uniqueKeysWithValues: layout.consumeQueues.map { ("\($0.topic)/\($0.queueId)", $0.files.count) })

        var dispatcher = SimulatedDispatcher(queues: queues, queueIndex: queueIndex, cqFileSize: cqFileSize, cache: cache,
                                             delayLevels: layout.options.delayLevels)
        let log = SimulatedCommitLog(files: commitLogFiles, fileSize: layout.commitLogFileSize, cache: cache, rules: options.rules)
        var truncated: [String: Int] = [:]

        if commitLogFiles.isEmpty {
            // No commitlog at all: the broker destroys every consume queue.
            for i in dispatcher.queues.indices {
                let before = dispatcher.queues[i].maxOffsetInQueue
                dispatcher.queues[i].truncateDirtyFiles(-1)
                truncated[dispatcher.queues[i].key] = Int(before)
            }
        } else {
            let recoveryOptions = RecordCheckOptions(
                checkCRC: options.checkCRCOnRecover, acceptVersion2: options.rules == .rocketMQ5,
                delayLevels: layout.options.delayLevels)
            let (startIndex, startReason) = try abnormal
                ? log.abnormalStartFile(checkpoint: checkpoint, options: options)
                : log.normalStartFile(maxPhyOffsetOfConsumeQueue: preview.maxPhyOffsetOfConsumeQueue)
            let dispatchAbove: Int64? = abnormal ? Int64.min
                : (options.rules == .rocketMQ5 ? preview.maxPhyOffsetOfConsumeQueue : nil)
            var dispatched = 0
            let scan = try log.recover(from: startIndex, options: recoveryOptions) { record, physicalOffset in
                if let floor = dispatchAbove, physicalOffset > floor {
                    dispatcher.dispatch(record, physicalOffset: physicalOffset)
                    dispatched += 1
                }
            }
            let cut = try log.truncateDirtyFiles(scan.processOffset)
            if preview.maxPhyOffsetOfConsumeQueue >= scan.processOffset {
                for i in dispatcher.queues.indices {
                    truncated[dispatcher.queues[i].key] = try dispatcher.queues[i].truncateDirtyLogicFiles(scan.processOffset)
                }
            }
            preview.commitLog = StartupPreview.CommitLogOutcome(
                startFile: commitLogFiles[startIndex].relativePath, startFileReason: startReason,
                processOffset: scan.processOffset, stopReason: scan.stopReason, stopFile: scan.stopFile,
                stopPosition: scan.stopPosition, deletedFiles: cut.deleted, mappedFiles: cut.kept,
                bytesAfterCut: cut.bytesAfterCut, minOffset: cut.kept.first?.fromOffset ?? -1,
                recordsDispatchedDuringRecovery: dispatched, recordsDispatchedAtStart: 0)
            if abnormal {
                let start = commitLogFiles[startIndex].fromOffset
                preview.index = StartupPreview.IndexOutcome(
                    deletedFiles: indexDeleted, lostRange: (!indexDeleted.isEmpty && keptIndexEnd < start) ? keptIndexEnd..<start : nil,
                    entriesPastCut: 0, rebuiltFrom: start)
            }
        }
        if preview.index == nil {
            preview.index = StartupPreview.IndexOutcome(
                deletedFiles: indexDeleted, lostRange: nil,
                entriesPastCut: try Self.indexEntries(layout, atOrPast: preview.commitLog?.processOffset ?? 0),
                rebuiltFrom: nil)
        }

        // recoverTopicQueueTable: correctMinOffset against the commitlog min offset.
        let minOffset = preview.commitLog?.minOffset ?? -1
        for i in dispatcher.queues.indices { try dispatcher.queues[i].correctMinOffset(minOffset) }
        let afterLoad = dispatcher.queues.map(\.state)

        // start(): the reput service dispatches from the largest CQ end to the log's end.
        if let commitLog = preview.commitLog {
            var reputFrom = max(commitLog.minOffset, dispatcher.queues.map(\.maxPhysicOffset).max() ?? -1)
            if reputFrom < 0 { reputFrom = 0 }
            preview.reputFromOffset = reputFrom
            var count = 0
            try log.reput(from: reputFrom, to: commitLog.processOffset, kept: commitLog.mappedFiles,
                          delayLevels: layout.options.delayLevels) { record, physicalOffset in
                dispatcher.dispatch(record, physicalOffset: physicalOffset)
                count += 1
            }
            preview.commitLog?.recordsDispatchedAtStart = count
        }

        for (i, queue) in dispatcher.queues.enumerated() {
            preview.consumeQueues.append(StartupPreview.QueueOutcome(
                topic: queue.topic, queueId: queue.queueId, filesBefore: filesBefore[queue.key] ?? 0,
                afterLoad: i < afterLoad.count ? afterLoad[i] : nil, afterStart: queue.state,
                unitsTruncated: truncated[queue.key] ?? 0, deletedFiles: queue.deletedFiles,
                createdFiles: queue.createdFiles, unitsAdded: queue.unitsAppended))
        }
        return preview
    }

    static func indexHeader(_ file: SegmentFile) throws(StoreError) -> IndexHeader { try indexHeader(path: file.path) }

    static func indexHeader(path: String) throws(StoreError) -> IndexHeader {
        let bytes = try FileSystem.read(path, offset: 0, count: IndexHeader.size)
        // Java maps the configured size whatever the file holds: a short header reads as zeros.
        let padded = bytes + [UInt8](repeating: 0, count: max(0, IndexHeader.size - bytes.count))
        return padded.withUnsafeBytes { (try? IndexHeader(decoding: $0)) ?? IndexHeader() }
    }

    /// Index entries whose phyOffset is at or past `offset` (only files whose header reaches it).
    static func indexEntries(_ layout: StoreLayout, atOrPast offset: Int64) throws(StoreError) -> Int {
        var count = 0
        for file in layout.indexFiles {
            let header = try indexHeader(file)
            guard header.endPhyOffset >= offset, let indexLayout = layout.indexLayout(of: file) else { continue }
            let region = try MappedRegion(path: file.path)
            region.withBytes { bytes in
                guard let view = try? IndexFileView(bytes: bytes, layout: indexLayout) else { return }
                for i in 1..<max(1, Int(view.header.effectiveIndexCount)) {
                    if let entry = view.entry(i), entry.phyOffset >= offset { count += 1 }
                }
            }
        }
        return count
    }
}
