// `rmqstore recover`: the offline, careful form of the broker's abnormal recovery.
//
// The whole log is scanned with every check (CRC included), not only the files the broker
// would pick; the log is cut after the last valid record (the tail zeroed, as in a fresh file),
// later files removed, consume queue units past the end cut and missing ones dispatched (the
// engine's writers, on a staging copy, diffed back file by file), the index rebuilt when it
// points past the end or lags, the checkpoint fixed and `abort` removed. Known start-up
// blockers are mended on the way (FORMAT.md §19): zero-length files (#6904), stray names in
// commitlog/ (#3257), a short last commitlog file, empty/short consume queue files (#9728),
// a corrupt config JSON with a good .bak (#3401). Everything cut goes to the salvage directory.

import RocketMQFormat
import RocketMQStore

public struct StoreRecoverer {
    public var layout: StoreLayout
    /// Cut at the first damage even when valid records follow it.
    public var acceptLoss: Bool

    public init(layout: StoreLayout, acceptLoss: Bool = false) {
        self.layout = layout
        self.acceptLoss = acceptLoss
    }

    var checkOptions: RecordCheckOptions {
        RecordCheckOptions(checkCRC: true, acceptVersion2: true, delayLevels: layout.options.delayLevels, checksZeroTail: false)
    }

    /// What is wrong with an index header by the rules putKey keeps (FORMAT.md §8.3; verify's
    /// index.bad-header): a garbage or damaged header makes the index rebuilt.
    static func headerProblem(_ header: IndexHeader, layout: IndexFileLayout) -> String? {
        if header.indexCount < 0 || Int(header.indexCount) > layout.indexNum { return "header indexCount \(header.indexCount) is out of range" }
        let count = Int(header.effectiveIndexCount)
        if header.hashSlotCount < 0 || Int(header.hashSlotCount) > min(layout.hashSlotNum, max(0, count - 1)) {
            return "header hashSlotCount \(header.hashSlotCount) is out of range"
        }
        guard count > 1 else { return nil }
        if header.beginTimestamp > header.endTimestamp { return "header beginTimestamp is after endTimestamp" }
        if header.beginPhyOffset > header.endPhyOffset || header.beginPhyOffset < 0 { return "header beginPhyOffset is out of range" }
        return nil
    }

    /// A config file that exists, is not blank and does not parse as JSON.
    static func isUnparsable(_ path: String) throws(StoreError) -> Bool {
        guard FileSystem.exists(path) else { return false }
        let bytes = try FileSystem.readFile(path)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return false }
        return (try? FastJSON.parse(bytes)) == nil
    }

    /// Works out the plan; changes nothing.
    public func plan() throws(StoreError) -> RecoveryPlan { try plan(damagedRecord: nil) }

    /// `damagedRecord`: a record a queue unit proved to have header damage (second pass only).
    func plan(damagedRecord: (offset: Int64, reason: String)?) throws(StoreError) -> RecoveryPlan {
        let fileSize = layout.commitLogFileSize
        var actions: [String] = []
        var strayChanges: [StoreChange] = []
        for stray in layout.strays where stray.relativePath.hasPrefix("commitlog/") {
            guard try FileSystem.status(layout.root + "/" + stray.relativePath) != nil else { continue }
            strayChanges.append(StoreChange(stray.relativePath, .remove, reason: "stray \(stray.reason) in commitlog/ stops the broker's load (apache/rocketmq#3257)"))
        }
        var files: [SegmentFile] = []
        for file in layout.commitLogFiles {
            if file.size == 0 {
                strayChanges.append(StoreChange(file.relativePath, .remove, reason: "zero-length commitlog file stops the broker's load (apache/rocketmq#6904)"))
            } else {
                files.append(file)
            }
        }
        // Each existing queue as the broker recovers it, before the scan: the scan digests the
        // records each queue already covers (DerivedConsistency compares them afterwards).
        let cqSize = layout.consumeQueueFileSize
        let cache = DiskCache()
        var queues: [(location: ConsumeQueueLocation, queue: SimulatedConsumeQueue)] = []
        var shortQueueFiles: [String: Int64] = [:]
        var zeroLength: Set<String> = []
        var queueBounds: [String: Int64] = [:]
        for location in layout.consumeQueues {
            var usable: [SegmentFile] = []
            for file in location.files {
                if file.size == 0 { zeroLength.insert(file.relativePath); continue }
                // Any other size stops the broker's load() (MappedFileQueue.load): a short file is
                // extended, a long one cut to the configured size (units never lie past it).
                if file.size != cqSize { shortQueueFiles[file.relativePath] = file.size }
                usable.append(file)
            }
            var queue = SimulatedConsumeQueue(topic: location.topic, queueId: location.queueId, fileSize: Int(cqSize), cache: cache, diskFiles: usable)
            try queue.recover()
            queueBounds[location.topic + "/" + String(location.queueId)] = queue.maxOffsetInQueue
            queues.append((location, queue))
        }
        let coverage = IndexCoverage(layout)
        let logMinOffset = files.first?.fromOffset ?? 0
        // The index's hash chains and the queues' units need no log: checked and added up on a
        // third thread during the scan.
        var indexStructure: Swift.Result<(problem: String?, checks: [Int: IndexFileCheck]), StoreError> = .success((nil, [:]))
        var queueDigests: Swift.Result<[QueueUnitDigest], StoreError> = .success([])
        var scanResult: Swift.Result<LogEndScan, StoreError>!
        let layout = self.layout
        let existing = queues.map { ($0.location, $0.queue.maxOffsetInQueue) }
        ParallelWork.run({
            indexStructure = Swift.Result { () throws(StoreError) in try DerivedConsistency.indexStructure(layout, logMinOffset: logMinOffset) }
            queueDigests = Swift.Result { () throws(StoreError) in
                try existing.map { (location, units) throws(StoreError) in
                    try QueueUnitDigest(location, units: units, logMinOffset: logMinOffset, fileSize: cqSize)
                }
            }
        }) {
            scanResult = Swift.Result { () throws(StoreError) in
                try LogEndScan(files: files, fileSize: fileSize, options: checkOptions, queueBounds: queueBounds, coverage: coverage,
                               damagedRecord: damagedRecord)
            }
        }
        let scan = try scanResult.get()
        let midLog = scan.recordsAfterEnd > 0

        // The commitlog: cut the file holding the end, remove every later file.
        var commitLogChanges: [StoreChange] = []
        var bytesCut: Int64 = 0
        for file in files {
            if file.fromOffset + fileSize <= scan.endOffset && file.fromOffset + file.size <= scan.endOffset {
                if file.size < fileSize {
                    commitLogChanges.append(StoreChange(file.relativePath, .resize(keep: file.size, size: fileSize),
                                                        reason: "shorter than mappedFileSizeCommitLog \(fileSize): extended with zeros"))
                }
                continue
            }
            if file.fromOffset <= scan.endOffset && scan.endOffset < file.fromOffset + fileSize {
                let keep = scan.endOffset - file.fromOffset
                let tailIsZero = try ContentDigest.isZero(path: file.path, from: keep)
                if !tailIsZero || file.size != fileSize {
                    let reason = tailIsZero ? "shorter than mappedFileSizeCommitLog \(fileSize): extended with zeros"
                        : "cut after the last valid record (\(scan.endReason)); the tail is zeroed as in a fresh file"
                    commitLogChanges.append(StoreChange(file.relativePath, .resize(keep: keep, size: fileSize), reason: reason))
                }
            } else {
                commitLogChanges.append(StoreChange(file.relativePath, .remove, reason: "after the end of valid data"))
            }
        }
        bytesCut = scan.bytesAfterEndNonZero

        // Consume queues: what the broker's truncation would cut, what the log has beyond, and
        // whether the units before the end agree with the log (else the queue is rebuilt).
        var queueActions: [RecoveryPlan.QueueAction] = []
        var untouchedQueues = Set<String>()
        var seen = Set<String>()
        var firstHeaderDamage: (offset: Int64, reason: String)?
        let reader = RecordReader(files: files, options: checkOptions)
        let unitDigests = try queueDigests.get()
        for (i, (location, simulated)) in queues.enumerated() {
            var queue = simulated
            let before = queue.maxOffsetInQueue
            var cut: Int64 = 0
            if queue.maxPhysicOffset >= scan.endOffset { cut = Int64(try queue.truncateDirtyLogicFiles(scan.endOffset)) }
            let key = location.topic + "/" + String(location.queueId)
            seen.insert(key)
            let next = scan.queues[key]?.nextQueueOffset ?? 0
            let after = max(queue.maxOffsetInQueue, next)
            var units = unitDigests[i]
            try units.cut(to: queue.maxOffsetInQueue, location: location, fileSize: cqSize)
            let disagreement = DerivedConsistency.queueDisagreement(units, expected: scan.queues[key]?.expected ?? LogEndScan.QueueDigest())
            // A queue that disagrees: is a unit naming a valid record of the right size that now
            // says another queue, or no queue (PREPARED/ROLLBACK)? Then that record's header
            // changed (outside the body CRC): the scan runs again, ending there.
            if disagreement != nil, damagedRecord == nil,
               let damage = try DerivedConsistency.headerDamage(location, units: queue.maxOffsetInQueue, logMinOffset: logMinOffset,
                                                                endOffset: scan.endOffset, fileSize: cqSize, log: reader) {
                firstHeaderDamage = firstHeaderDamage.map { $0.offset <= damage.offset ? $0 : damage } ?? damage
            }
            queueActions.append(.init(topic: location.topic, queueId: location.queueId, unitsCut: disagreement == nil ? cut : 0,
                                      unitsAdded: disagreement == nil ? max(0, next - queue.maxOffsetInQueue) : 0,
                                      maxOffsetBefore: before, maxOffsetAfter: disagreement == nil ? after : next, rebuild: disagreement))
            if try Self.isUntouched(queue, location: location, cut: cut, next: next, disagreement: disagreement, fileSize: cqSize) {
                untouchedQueues.insert(key)
            }
        }
        if let firstHeaderDamage { return try plan(damagedRecord: firstHeaderDamage) }
        for (key, facts) in scan.queues.sorted(by: { $0.key < $1.key }) where !seen.contains(key) {
            guard let name = scan.queueNames[key] else { continue }
            queueActions.append(.init(topic: name.topic, queueId: name.queueId, unitsCut: 0, unitsAdded: facts.nextQueueOffset,
                                      maxOffsetBefore: 0, maxOffsetAfter: facts.nextQueueOffset))
        }

        // Index: rebuilt when it points past the end or lags behind the last keyed record.
        var indexReason: String?
        var indexEnd: Int64 = -1
        var filesPastEnd: [String] = []
        for file in layout.indexFiles {
            guard let indexLayout = layout.indexLayout(of: file), indexLayout.fileSize == Int(file.size) else { indexReason = "\(file.relativePath) has a wrong size"; break }
            let header = try StartupSimulator.indexHeader(file)
            if let problem = Self.headerProblem(header, layout: indexLayout) {
                indexReason = "\(file.relativePath): \(problem)"
                break
            }
            indexEnd = max(indexEnd, header.endPhyOffset)
            if header.endPhyOffset >= scan.endOffset { filesPastEnd.append(file.relativePath) }
        }
        var indexCutOnly = false
        // Damage before the end (chains, entries naming records without their key, header
        // fields): the whole index is rebuilt from the log.
        let structure = try indexStructure.get()
        if indexReason == nil, let problem = structure.problem {
            indexReason = problem
        } else if indexReason == nil,
                  let problem = try DerivedConsistency.indexContentProblem(layout, checks: structure.checks, digests: scan.indexDigests, coverage: coverage,
                                                                           logMinOffset: logMinOffset, endOffset: scan.endOffset, checkOptions: checkOptions) {
            indexReason = problem
        }
        if indexReason == nil {
            if indexEnd >= scan.endOffset && scan.endOffset > 0 || (indexEnd >= 0 && scan.endOffset == 0) {
                indexReason = "entries point at or past the end \(scan.endOffset)"
                // Only the last file's last entries: cut them in place (IndexTailCut).
                indexCutOnly = scan.endOffset > 0 && filesPastEnd == [layout.indexFiles.last?.relativePath].compactMap { $0 }
            } else if scan.lastKeyedOffset > indexEnd {
                indexReason = "the index ends at \(indexEnd), before the last keyed record at \(scan.lastKeyedOffset)"
            }
        }

        // Strays in consumequeue/ and index/ that RocketMQ's load() fails on or would load as a
        // segment (StrayLoadRule): set aside. Directories are left (reported by verify). Under
        // index/ only when the index is not rebuilt (the rebuild sets the whole directory aside).
        for stray in layout.strays where !stray.relativePath.hasPrefix("commitlog/") {
            guard stray.relativePath.hasPrefix("consumequeue/") || (stray.relativePath.hasPrefix("index/") && indexReason == nil) else { continue }
            let effect = StrayLoadRule.effect(of: stray, in: layout)
            // Directories too (a numeric directory in index/, any directory inside a queue
            // directory): moved whole into the salvage directory, undo moves them back.
            guard effect.blocksOrMisleadsLoad, try FileSystem.status(layout.root + "/" + stray.relativePath) != nil else { continue }
            strayChanges.append(StoreChange(stray.relativePath, .remove, reason: "stray: \(stray.reason); \(effect.explanation)"))
        }

        // Config, checkpoint, abort.
        var metadataChanges: [StoreChange] = []
        for name in layout.configFiles where name.hasSuffix(".json") {
            let loaded = try ConfigFileLoader.load(name, in: layout)
            if let loaded, loaded.source.hasSuffix(".bak"), let problem = loaded.problem,
               FileSystem.exists(layout.root + "/config/" + name) {
                metadataChanges.append(StoreChange("config/" + name, .replace(contents: loaded.bytes),
                                                   reason: "\(problem); replaced by its good .bak (apache/rocketmq#3401)"))
            } else if loaded == nil, try Self.isUnparsable(layout.root + "/config/" + name) {
                // ConfigManager.load falls back to the .bak; with none it starts empty, with a bad
                // one load() fails. Setting the file aside (kept in the salvage directory) gives the
                // broker's empty start either way, and verify no longer sees unparsable JSON.
                metadataChanges.append(StoreChange("config/" + name, .remove,
                                                   reason: "does not parse and has no good .bak: set aside (the broker would start without it)"))
                if try Self.isUnparsable(layout.root + "/config/" + name + ".bak") {
                    metadataChanges.append(StoreChange("config/" + name + ".bak", .remove, reason: "does not parse either: set aside"))
                }
            }
        }
        var checkpoint: StoreCheckpoint?
        var checkpointBroken = true
        if let path = layout.checkpointPath, let entry = try FileSystem.status(path), entry.size == Int64(StoreCheckpoint.fileSize) {
            let bytes = try FileSystem.readFile(path)
            checkpoint = bytes.withUnsafeBytes { try? StoreCheckpoint(decoding: $0) }
            checkpointBroken = checkpoint == nil
        }
        let anyChange = !commitLogChanges.isEmpty || !strayChanges.isEmpty || indexReason != nil || !metadataChanges.isEmpty
            || queueActions.contains { $0.unitsCut > 0 || $0.unitsAdded > 0 || $0.rebuild != nil } || layout.abortExists
        if layout.abortExists {
            metadataChanges.append(StoreChange("abort", .remove, reason: "the store is consistent again: the next start is a normal one"))
        }
        for change in strayChanges + commitLogChanges + metadataChanges { actions.append(change.summary) }

        var verdict: RecoveryPlan.Verdict = .clean
        if midLog && !acceptLoss { verdict = .midLogDamage }
        let plan = RecoveryPlan(
            verdict: verdict, endOffset: scan.endOffset, endFile: scan.endFile?.relativePath, endReason: scan.endReason,
            records: scan.records, actions: actions, queueActions: queueActions, rebuildIndex: indexReason != nil,
            indexReason: indexReason, bytesCut: bytesCut, recordsAfterEnd: scan.recordsAfterEnd,
            firstValidAfterEnd: scan.firstValidAfterEnd, commitLogChanges: commitLogChanges, metadataChanges: metadataChanges,
            strayChanges: strayChanges, shortQueueFiles: shortQueueFiles, zeroLengthQueueFiles: zeroLength,
            lastStoreTimestamp: scan.lastStoreTimestamp, lastQueuedStoreTimestamp: scan.lastQueuedStoreTimestamp,
            queueFacts: scan.queues, queueNames: scan.queueNames, checkpoint: checkpoint,
            checkpointNeedsWrite: checkpointBroken || anyChange)
        var result = plan
        result.indexCutOnly = indexCutOnly
        result.untouchedQueues = untouchedQueues
        if result.verdict != .midLogDamage && result.hasChanges { result.verdict = .repairable }
        return result
    }

    /// Whether recovery leaves the queue's files as they are (`RecoveryPlan.untouchedQueues`):
    /// nothing to cut, add or rebuild, no file short, long, empty or deleted by the broker's
    /// recovery, and only zeros after the recovered end (which staging would zero).
    static func isUntouched(_ queue: SimulatedConsumeQueue, location: ConsumeQueueLocation, cut: Int64, next: Int64,
                            disagreement: String?, fileSize: Int64) throws(StoreError) -> Bool {
        guard cut == 0, disagreement == nil, next <= queue.maxOffsetInQueue, queue.deletedFiles.isEmpty,
              queue.files.count == location.files.count, location.files.allSatisfy({ $0.size == fileSize })
        else { return false }
        for file in queue.files where file.wrotePosition < Int(fileSize) {
            guard let disk = file.disk, try ContentDigest.isZero(path: disk.path, from: Int64(file.wrotePosition)) else { return false }
        }
        return true
    }
}
