// Carrying out a RecoveryPlan: consume queues (and the index) are brought in step on a staging
// copy with the engine's writers, then every difference becomes a journaled StoreChange.

import RocketMQFormat
import RocketMQStore

extension StoreRecoverer {
    public struct Result: Sendable {
        public var plan: RecoveryPlan
        public var journal: RepairJournal?
        public var seconds: Double
    }

    static let stagingName = ".rmqstore-staging-recover"

    /// Applies the plan under the store lock; refuses damage in the middle of the log unless
    /// `acceptLoss`. Returns the journal (nil when there was nothing to do).
    public func apply(salvageDirectory: String) throws(StoreError) -> Result {
        let started = MonotonicClock.now()
        try StoreLock.refuseIfHeld(storeAt: layout.root)
        PhaseTimer.mark("start")
        let plan = try plan()
        PhaseTimer.mark("scan (CRC) and plan")
        guard plan.verdict != .midLogDamage else { return Result(plan: plan, journal: nil, seconds: MonotonicClock.now() - started) }
        guard plan.hasChanges else { return Result(plan: plan, journal: nil, seconds: MonotonicClock.now() - started) }
        let staging = layout.root + "/" + Self.stagingName
        if FileSystem.exists(staging) { try JournalUndo.removeTree(staging) }
        defer { try? JournalUndo.removeTree(staging) }

        var changes = plan.strayChanges + plan.commitLogChanges
        // The index (a walk of the whole log) on a second thread while the queues are mended.
        var indexResult: Swift.Result<[StoreChange], StoreError> = .success([])
        var queueResult: Swift.Result<[StoreChange], StoreError> = .success([])
        ParallelWork.run({ [self] in
            if plan.rebuildIndex { indexResult = Swift.Result { () throws(StoreError) in try indexChanges(plan, staging: staging) } }
        }) {
            queueResult = Swift.Result { () throws(StoreError) in try consumeQueueChanges(plan, staging: staging) }
        }
        changes += try queueResult.get()
        changes += try indexResult.get()
        PhaseTimer.mark("consume queues and index on staging")
        changes += plan.metadataChanges.filter { $0.path != "abort" }
        if plan.checkpointNeedsWrite {
            var checkpoint = plan.checkpoint ?? StoreCheckpoint()
            checkpoint.physicMsgTimestamp = plan.lastStoreTimestamp
            checkpoint.logicsMsgTimestamp = plan.lastQueuedStoreTimestamp
            if let indexEnd = stagedIndexEnd { checkpoint.indexMsgTimestamp = indexEnd }
            let bytes = checkpoint.encoded()
            changes.append(StoreChange("checkpoint", FileSystem.exists(layout.root + "/checkpoint") ? .replace(contents: bytes) : .create(contents: bytes),
                                       reason: "timestamps of the last valid record"))
        }
        // abort last: a kill before it leaves an abnormal start, which is safe.
        changes += plan.metadataChanges.filter { $0.path == "abort" }
        var writer = StoreWriter(root: layout.root, salvageDirectory: salvageDirectory, command: "recover")
        let journal = try writer.apply(changes)
        PhaseTimer.mark("journaled changes")
        return Result(plan: plan, journal: journal, seconds: MonotonicClock.now() - started)
    }

    private var stagedIndexEnd: Int64? {
        let path = layout.root + "/" + Self.stagingName + "/index"
        guard let files = try? FileSystem.list(path), let last = files.last(where: { $0.kind == .file }) else { return nil }
        return try? StartupSimulator.indexHeader(path: path + "/" + last.name).endTimestamp
    }

    /// Copies the consume queues to staging (all but the plan's untouched ones), truncates and
    /// dispatches there with the engine, zeroes what lies past each queue's end, and diffs the
    /// result against the store.
    func consumeQueueChanges(_ plan: RecoveryPlan, staging: String) throws(StoreError) -> [StoreChange] {
        guard plan.queueActions.contains(where: { $0.unitsCut > 0 || $0.unitsAdded > 0 || $0.rebuild != nil })
            || !plan.shortQueueFiles.isEmpty || !plan.zeroLengthQueueFiles.isEmpty else { return [] }
        // Queues whose units disagree with the log before its end start empty in staging: the
        // dispatch below writes them whole from the log, as `rebuild` does.
        let rebuilt = Set(plan.queueActions.filter { $0.rebuild != nil }.map { $0.topic + "/" + String($0.queueId) })
        let cqSize = Int(layout.consumeQueueFileSize)
        var changes: [StoreChange] = []
        for path in plan.zeroLengthQueueFiles.sorted() {
            changes.append(StoreChange(path, .remove, reason: "zero-length consume queue file stops the broker's load (apache/rocketmq#9728)"))
        }
        let untouched = plan.untouchedQueues
        for location in layout.consumeQueues where !untouched.contains(location.topic + "/" + String(location.queueId)) {
            let directory = staging + "/consumequeue/\(location.topic)/\(location.queueId)"
            try DurableFile.makeDirectories(directory)
            if rebuilt.contains(location.topic + "/" + String(location.queueId)) { continue }
            for file in location.files where file.size > 0 {
                // Scratch: the result is read back into journaled replacements, so no fsync. Only
                // whole units: a short file's torn last unit would otherwise be kept with part of
                // its tagsCode zeroed (offset and size alone pass the queue's recovery check); cut,
                // it is dispatched again from the log.
                let whole = min(file.size - file.size % Int64(ConsumeQueueUnit.size), Int64(cqSize))
                try DurableFile.writePrefixCopy(of: file.path, length: whole, size: Int64(cqSize), to: directory + "/" + file.name, sync: false)
            }
        }
        let dispatcher = StoreDispatcher(storeRoot: staging, mappedFileSizeConsumeQueue: cqSize, indexLayout: nil,
                                         delayLevels: layout.options.delayLevels)
        try dispatcher.loadConsumeQueues()
        var dispatchFrom = plan.endOffset
        for queue in dispatcher.consumeQueues {
            queue.recover()
            if queue.maxPhysicOffset >= plan.endOffset { queue.truncateDirtyLogicFiles(plan.endOffset) }
            let key = queue.topic + "/" + String(queue.queueId)
            if let facts = plan.queueFacts[key], facts.nextQueueOffset > queue.maxOffsetInQueue {
                dispatchFrom = min(dispatchFrom, max(0, queue.maxPhysicOffset))
            }
        }
        for (key, facts) in plan.queueFacts where !untouched.contains(key)
            && dispatcher.consumeQueue(topic: plan.queueNames[key]?.topic ?? "", queueId: plan.queueNames[key]?.queueId ?? 0, create: false) == nil {
            _ = facts
            dispatchFrom = 0
        }
        if dispatchFrom < plan.endOffset {
            let walker = CommitLogWalker(layout: layout, checkOptions: RecordCheckOptions(checkCRC: false, delayLevels: layout.options.delayLevels, checksZeroTail: false))
            do {
                try walker.walk(fromOffset: dispatchFrom, toOffset: plan.endOffset) { event in
                    guard case .message(let file, let record) = event, record.check.success else { return .proceed }
                    let offset = file.fromOffset + Int64(record.position)
                    if offset >= plan.endOffset { return .finish }
                    if offset >= dispatchFrom, untouched.isEmpty || !untouched.contains(record.topic + "/" + String(record.queueId)) {
                        try dispatcher.dispatch(record)
                    }
                    return .proceed
                }
            } catch let error as StoreError { throw error } catch { throw StoreError(.io, path: "commitlog", "\(error)") }
        }
        // Zero everything past each queue's end, as a fresh file would be: a later crash must
        // not let the broker's CQ scan take stale units for real ones (FORMAT.md §19).
        // Only bytes copied from the store can be stale: a staged file past its source's data
        // (a hole in a sparse source, or no source at all) is zeros already, and writing zeros
        // there would only fault in and dirty pages of a 6 MB file per queue.
        for queue in dispatcher.consumeQueues {
            for file in queue.queue.mappedFiles where file.wrotePosition < file.fileSize {
                let source = layout.root + file.path.dropFirst(staging.count)
                let sourceEnd = file.path.hasPrefix(staging + "/") && FileSystem.exists(source)
                    ? Int(clamping: SparseFile.dataEnd(ofFileAt: source)) : file.fileSize
                let end = min(file.fileSize, sourceEnd)
                guard file.wrotePosition < end else { continue }
                let bytes = file.bytes
                UnsafeMutableRawBufferPointer(rebasing: bytes[file.wrotePosition..<end]).initializeMemory(as: UInt8.self, repeating: 0)
            }
        }
        dispatcher.flush()
        dispatcher.shutdown()

        // Diff staging against the store, file by file.
        let stagedRoot = staging + "/consumequeue"
        var staged: [String: String] = [:]  // store-relative → staging path
        // (Nothing staged at all when every queue was left alone and none was created.)
        for topic in FileSystem.isDirectory(stagedRoot) ? try FileSystem.list(stagedRoot) : [] where topic.kind == .directory {
            for queue in try FileSystem.list(stagedRoot + "/" + topic.name) where queue.kind == .directory {
                for file in try FileSystem.list(stagedRoot + "/\(topic.name)/\(queue.name)") where file.kind == .file {
                    staged["consumequeue/\(topic.name)/\(queue.name)/\(file.name)"] = stagedRoot + "/\(topic.name)/\(queue.name)/\(file.name)"
                }
            }
        }
        for location in layout.consumeQueues where !untouched.contains(location.topic + "/" + String(location.queueId)) {
            for file in location.files where file.size > 0 {
                if let new = staged.removeValue(forKey: file.relativePath) {
                    if try !FileSystem.contentsEqual(file.path, new) {
                        let newBytes = try FileSystem.readFile(new)
                        changes.append(StoreChange(file.relativePath, .replace(contents: newBytes),
                                                   reason: rebuilt.contains(location.topic + "/" + String(location.queueId)) ? "the queue's units disagreed with the log: written anew from it"
                                                       : file.size < Int64(cqSize) ? "short file extended; units brought in step with the log"
                                                       : file.size > Int64(cqSize) ? "longer than mappedFileSizeConsumeQueue \(cqSize) (the broker's load() fails): cut to it"
                                                       : "units past the end cut / missing units added"))
                    }
                } else {
                    let whole = rebuilt.contains(location.topic + "/" + String(location.queueId))
                    changes.append(StoreChange(file.relativePath, .remove, reason: whole ? "the queue rebuilt from the log has no such file"
                                                   : "every unit points past the end of the log"))
                }
            }
        }
        for (relative, path) in staged.sorted(by: { $0.key < $1.key }) {
            let contents = try FileSystem.readFile(path)
            // A zero-length file the dispatch wrote again: one replacement, not a removal and a
            // creation of the same path (the writer refuses to create over an existing file).
            if let at = changes.firstIndex(where: { $0.path == relative && plan.zeroLengthQueueFiles.contains(relative) }) {
                changes[at] = StoreChange(relative, .replace(contents: contents),
                                          reason: "zero-length consume queue file (stops the broker's load, apache/rocketmq#9728) written again from the log")
                continue
            }
            changes.append(StoreChange(relative, .create(contents: contents), reason: "units the log has but the queue lacked"))
        }
        return changes
    }

    /// Rebuilds the index from [0, end) into staging (or, when only its tail is past the end,
    /// cuts that from a copy); swapped in as a directory.
    func indexChanges(_ plan: RecoveryPlan, staging: String) throws(StoreError) -> [StoreChange] {
        if plan.indexCutOnly, let digests = try cutIndexTail(plan, staging: staging) {
            var change = StoreChange("index", .exchangeDirectory(staging: Self.stagingName + "/index"),
                                     reason: (plan.indexReason ?? "") + ": entries cut from a copy")
            change.treeDigests = digests
            return [change]
        }
        if FileSystem.exists(staging + "/index") { try JournalUndo.removeTree(staging + "/index") }
        let indexLayout = StoreRebuilder(layout: layout).indexLayout ?? .default
        // Buffered: entries written in windows, slots in private memory (no fault per page).
        let writer = IndexWriter(storeRoot: staging, layout: indexLayout, entryBufferCapacity: 4096)
        try DurableFile.makeDirectories(staging + "/index")
        let delayLevels = layout.options.delayLevels
        let options = RecordCheckOptions(checkCRC: false, delayLevels: delayLevels, checksZeroTail: false)
        // As rebuild does: the log walked here, the keys hashed and put on a second thread.
        try DispatchFeed.run(index: writer, dispatcher: nil) { (feed) throws(StoreError) in
            try DispatchWalk.records(layout, options: options, toOffset: plan.endOffset) { (record, offset) throws(StoreError) -> Bool in
                guard offset < plan.endOffset else { return false }
                feed?.append(record, properties: DispatchFields(record, delayLevels: delayLevels), queue: nil)
                return true
            }
        }
        // The journal's digests of both trees: the new one from the buffered slots in memory
        // (`IndexFileDigest`) while the flush writes them, the old one meanwhile here.
        let digests = writer.bufferedDigests()
        let stagedIndex = staging + "/index"
        var after: Swift.Result<String, StoreError> = .success("")
        var before: Swift.Result<TreeDigest, StoreError>?
        ParallelWork.run({
            after = Swift.Result { () throws(StoreError) in try IndexFileDigest.tree(stagedIndex, with: digests) }
        }) {
            writer.flush()
            before = Swift.Result { () throws(StoreError) in try TreeDigest(of: layout.root + "/index") }
        }
        writer.shutdown()
        var change = StoreChange("index", .exchangeDirectory(staging: Self.stagingName + "/index"), reason: plan.indexReason ?? "rebuilt")
        if let before { change.treeDigests = (try before.get(), try after.get()) }
        return [change]
    }
}

extension StoreRecoverer {
    /// Copies index/ to staging (data extents only), cutting the last file's entries at or past
    /// the end on the way (`PatchedTreeCopy`), and returns the two trees' digests. Nil when
    /// IndexTailCut's rules do not hold (then rebuild).
    func cutIndexTail(_ plan: RecoveryPlan, staging: String) throws(StoreError) -> (before: TreeDigest, after: String)? {
        guard let last = layout.indexFiles.last, let indexLayout = layout.indexLayout(of: last),
              indexLayout.fileSize == Int(last.size) else { return nil }
        let options = RecordCheckOptions(checkCRC: false, delayLevels: layout.options.delayLevels, checksZeroTail: false)
        let files = layout.commitLogFiles
        let region = try MappedRegion(path: last.path, sequential: false)
        let patches = region.withBytes { bytes in
            IndexTailCut.patches(bytes, layout: indexLayout, endOffset: plan.endOffset) { offset in
                // The store time of the record at `offset`, from the log.
                guard let file = files.last(where: { $0.fromOffset <= offset }), let region = try? MappedRegion(path: file.path, sequential: false)
                else { return nil }
                return region.withBytes { bytes in
                    guard case .message(let record) = RecordDecoder.decode(bytes, at: Int(offset - file.fromOffset), options: options),
                          record.check.success else { return nil }
                    return record.storeTimestamp
                }
            }
        }
        guard let patches else { return nil }
        // Only the index's files: anything else in index/ goes to the salvage directory with it.
        let directory = staging + "/index"
        if FileSystem.exists(directory) { try JournalUndo.removeTree(directory) }
        return try PatchedTreeCopy.copy(layout.indexFiles.map(\.name), from: layout.indexDirectory, to: directory,
                                        patches: [last.name: patches])
    }
}
