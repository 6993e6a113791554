// `rmqstore rebuild`: regenerates consumequeue/ (and index/) from the commitlog with the
// engine's dispatch writers, into a staging directory inside the store root, then swaps the
// new directories in atomically (renameat2 exchange; the old ones go to the salvage directory)
// and updates the checkpoint. Whole store, or one topic (its queue directories only; the
// index is shared by all topics, so it is left alone then).
//
// Records are dispatched as the broker's reput service sees them (no CRC check; a record
// failing its check is skipped), in log order, one mapped file at a time.

import RocketMQFormat
import RocketMQStore

public struct StoreRebuilder {
    public var layout: StoreLayout
    /// Only this topic's consume queues (nil: every queue and the index).
    public var topic: String?

    public init(layout: StoreLayout, topic: String? = nil) {
        self.layout = layout
        self.topic = topic
    }

    public struct QueuePlan: Sendable, Hashable {
        public var topic: String
        public var queueId: Int32
        /// Units the rebuilt queue will hold (next queue offset) and what is there now.
        public var unitsFromLog: Int64
        public var maxOffsetNow: Int64?
    }

    public struct Plan: Sendable {
        public var records: Int
        public var queues: [QueuePlan]
        public var rebuildsIndex: Bool
        public var changes: [String]
        /// True when the existing queues already hold exactly what the log says (counts).
        public var queuesMatchLog: Bool
    }

    public struct Result: Sendable {
        public var plan: Plan
        public var journal: RepairJournal
        public var indexFiles: Int
        public var seconds: Double
    }

    var indexLayout: IndexFileLayout? {
        layout.knownIndexLayout ?? layout.indexFiles.first.flatMap(layout.indexLayout(of:)) ?? .default
    }

    /// Walks the log and counts what each queue will hold; writes nothing.
    public func plan() throws(StoreError) -> Plan {
        var counts: [String: (topic: String, queueId: Int32, next: Int64)] = [:]
        var records = 0
        try walk { record in
            records += 1
            guard record.transactionType.isDispatchedToConsumeQueue else { return }
            let key = "\(record.topic)/\(record.queueId)"
            let next = max(counts[key]?.next ?? 0, record.queueOffset + 1)
            counts[key] = (record.topic, record.queueId, next)
        }
        return try plan(records: records, counts: counts)
    }

    private func plan(records: Int, counts: [String: (topic: String, queueId: Int32, next: Int64)]) throws(StoreError) -> Plan {
        var queues: [QueuePlan] = []
        var match = true
        var existing: [String: Int64] = [:]
        for location in layout.consumeQueues where topic == nil || location.topic == topic {
            existing["\(location.topic)/\(location.queueId)"] = try ConsumeQueueBounds.read(location).maxOffset
        }
        for (key, value) in counts.sorted(by: { $0.key < $1.key }) {
            queues.append(QueuePlan(topic: value.topic, queueId: value.queueId, unitsFromLog: value.next, maxOffsetNow: existing[key]))
            if existing[key] != value.next { match = false }
        }
        if existing.keys.contains(where: { counts[$0] == nil }) { match = false }
        let target = topic.map { "consumequeue/\($0)/" } ?? "consumequeue/"
        var changes = ["write \(target) anew from \(records) records into a staging directory, then swap it in (the old one goes to the salvage directory)"]
        if topic == nil { changes.append("write index/ anew (\(indexLayout?.description ?? "default layout")) and swap it in the same way") }
        changes.append("update checkpoint logicsMsgTimestamp" + (topic == nil ? " and indexMsgTimestamp" : ""))
        return Plan(records: records, queues: queues, rebuildsIndex: topic == nil, changes: changes, queuesMatchLog: match)
    }

    private func walk(_ visit: (MessageRecordView) throws(StoreError) -> Void) throws(StoreError) {
        let options = RecordCheckOptions(checkCRC: false, delayLevels: layout.options.delayLevels, checksZeroTail: false)
        let topicUTF8 = topic.map { Array($0.utf8) }
        try DispatchWalk.records(layout, options: options) { (record, _) throws(StoreError) -> Bool in
            if topicUTF8 == nil || record.topicBytes.elementsEqual(topicUTF8!) { try visit(record) }
            return true
        }
    }

    /// Builds the new directories in a staging directory and swaps them in through StoreWriter.
    public func apply(salvageDirectory: String, plan precomputed: Plan? = nil) throws(StoreError) -> Result {
        let started = MonotonicClock.now()
        try StoreLock.refuseIfHeld(storeAt: layout.root)
        PhaseTimer.mark("start")
        let stagingName = ".rmqstore-staging-rebuild"
        let staging = layout.root + "/" + stagingName
        if FileSystem.exists(staging) { try JournalUndo.removeTree(staging) }
        try DurableFile.makeDirectories(staging)
        // One walk on this thread (records decoded, properties parsed once, queues found); the
        // consume queue units and the index's random slot writes on a second thread, fed what
        // they need (DispatchFeed). A single topic (no index): the units on this thread.
        let dispatcher = StoreDispatcher(
            storeRoot: staging, mappedFileSizeConsumeQueue: Int(layout.consumeQueueFileSize),
            indexLayout: nil, delayLevels: layout.options.delayLevels, queueAppendBufferSize: 64 << 10)
        let index = topic == nil ? indexLayout.map { IndexWriter(storeRoot: staging, layout: $0, entryBufferCapacity: 4096) } : nil
        var records = 0
        var walked: Swift.Result<Void, StoreError> = .success(())
        let delayLevels = layout.options.delayLevels
        // The directories to exchange (store-relative). The journal needs each old tree's
        // digest: a third thread at idle priority hashes them meanwhile, in the time the walk
        // leaves the index thread's core idle.
        let exchanged = topic.map { ["consumequeue/" + $0] } ?? ["consumequeue", "index"]
        let root = layout.root
        var oldTrees: [Swift.Result<TreeDigest, StoreError>] = []
        ParallelWork.run({
            ParallelWork.lowerPriorityOfThisThread()
            oldTrees = exchanged.map { relative in Swift.Result { () throws(StoreError) in try TreeDigest(of: root + "/" + relative) } }
        }) {
            walked = Swift.Result { () throws(StoreError) in
                try DispatchFeed.run(index: index, dispatcher: dispatcher) { (feed) throws(StoreError) in
                    try walk { record throws(StoreError) in
                        records += 1
                        let properties = DispatchFields(record, delayLevels: delayLevels)
                        // (Optional chaining, not `if let`: a binding retains and releases the
                        // feed per record.)
                        guard feed == nil else {
                            let queue = record.transactionType.isDispatchedToConsumeQueue
                                ? dispatcher.queue(topic: record.topicBytes, queueId: record.queueId) : nil
                            return feed?.append(record, properties: properties, queue: queue) ?? ()
                        }
                        try dispatcher.dispatch(record, properties: properties)
                    }
                }
            }
            PhaseTimer.mark("dispatch walk")
        }
        PhaseTimer.mark("old trees hashed")
        try walked.get()
        let plan: Plan
        if let precomputed {
            plan = precomputed
        } else {
            var counts: [String: (topic: String, queueId: Int32, next: Int64)] = [:]
            for queue in dispatcher.consumeQueues {
                counts["\(queue.topic)/\(queue.queueId)"] = (queue.topic, queue.queueId, queue.maxOffsetInQueue)
            }
            plan = try self.plan(records: records, counts: counts)
        }
        let stagedPaths = exchanged.map { staging + "/" + $0 }
        var lastIndexEnd: Int64 = 0
        var indexFiles = 0
        if let index, let last = index.files.last {
            lastIndexEnd = last.endTimestamp
            indexFiles = index.files.count
        }
        func hashTree(_ path: String) -> Swift.Result<String, StoreError> {
            Swift.Result { () throws(StoreError) in
                try DurableFile.makeDirectories(path)
                return try ContentDigest.tree(path)
            }
        }
        // The index files are hashed on a second thread, their header and slots from memory
        // (`IndexFileDigest`), while this one writes those and starts every file's writeback
        // (the CPU part of the flush), then waits for the writes and hashes the queues.
        var queueTree: Swift.Result<String, StoreError> = .success("")
        var indexTree: Swift.Result<String, StoreError> = .success("")
        let indexDigests = index?.bufferedDigests() ?? [:]
        let flushAndHashQueues = {
            index?.startWriteback()
            dispatcher.startWriteback()
            PhaseTimer.mark("writeback started")
            dispatcher.flush()
            dispatcher.shutdown()
            PhaseTimer.mark("flush")
            queueTree = hashTree(stagedPaths[0])
        }
        if stagedPaths.count > 1 {
            let indexPath = stagedPaths[1]
            ParallelWork.run({
                indexTree = Swift.Result { () throws(StoreError) in
                    try DurableFile.makeDirectories(indexPath)
                    return try IndexFileDigest.tree(indexPath, with: indexDigests)
                }
            }, whileDoing: flushAndHashQueues)
        } else {
            flushAndHashQueues()
        }
        // Not before: the digests read the buffered slots until then.
        index?.flush()
        index?.shutdown()
        let newTrees = stagedPaths.count > 1 ? [queueTree, indexTree] : [queueTree]
        PhaseTimer.mark("hash new trees")
        var changes: [StoreChange] = []
        for (i, relative) in exchanged.enumerated() {
            var change = StoreChange(relative, .exchangeDirectory(staging: stagingName + "/" + relative), reason: "rebuilt from the commitlog")
            change.treeDigests = (try oldTrees[i].get(), try newTrees[i].get())
            changes.append(change)
        }
        var checkpoint = StoreCheckpoint()
        if let path = layout.checkpointPath {
            let bytes = try FileSystem.read(path, offset: 0, count: StoreCheckpoint.fileSize)
            checkpoint = bytes.withUnsafeBytes { (try? StoreCheckpoint(decoding: $0)) ?? StoreCheckpoint() }
        }
        if dispatcher.logicsMsgTimestamp > 0 { checkpoint.logicsMsgTimestamp = dispatcher.logicsMsgTimestamp }
        // Every rebuilt index file is flushed, so the checkpoint may cover the last one.
        if topic == nil && lastIndexEnd > 0 { checkpoint.indexMsgTimestamp = lastIndexEnd }
        changes.append(StoreChange("checkpoint", layout.checkpointPath == nil ? .create(contents: checkpoint.encoded()) : .replace(contents: checkpoint.encoded()),
                                   reason: "logicsMsgTimestamp/indexMsgTimestamp of the rebuilt files"))
        var writer = StoreWriter(root: layout.root, salvageDirectory: salvageDirectory, command: "rebuild")
        let journal = try writer.apply(changes)
        PhaseTimer.mark("swap (salvage, journal, digests)")
        if FileSystem.exists(staging) { try JournalUndo.removeTree(staging) }
        return Result(plan: plan, journal: journal, indexFiles: indexFiles, seconds: MonotonicClock.now() - started)
    }
}

/// Phase durations on stderr when RMQSTORE_TIMINGS is set (for benchmarking the repairs).
enum PhaseTimer {
    nonisolated(unsafe) static var last = MonotonicClock.now()
    static let enabled = getenv("RMQSTORE_TIMINGS") != nil

    static func mark(_ phase: String) {
        guard enabled else { return }
        let now = MonotonicClock.now()
        let line = "timing: \(phase): \(Int((now - last) * 1000)) ms\n"
        last = now
        _ = line.withCString { write(2, $0, strlen($0)) }
    }
}

enum MonotonicClock {
    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }
}

#if canImport(Glibc)
import Glibc
#endif
