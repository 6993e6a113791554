// `verify`: a whole-store integrity verdict (FORMAT.md §18), read-only and streaming.
//
// One pass over the commitlog (chunks of files in parallel with jobs > 1) checks every record
// and remembers, per queue, only its first/next queue offset, physical range and a digest of
// the units it should have, per index file a digest of its entries, plus per file where the
// data ends and which offsets failed. The consume queues and index files are then read file by
// file: a queue or index file whose digest matches the log's is proven without touching the
// log; otherwise each unit/entry is compared with the record it names, decoded in place through
// the mapped commitlog. Index hash chains are checked by replaying putKey in entry order.
// Memory beyond mapped pages: O(queues + commitlog files + damaged records) plus one Int32 per
// hash slot of the index file being checked (20 MB at the default 5,000,000 slots; above
// 8,000,000 slots the chains are walked instead, with one bit per entry).

import RocketMQFormat
import RocketMQStore

public struct StoreVerifier {
    public var layout: StoreLayout
    public var options: VerifyOptions

    public init(layout: StoreLayout, options: VerifyOptions = VerifyOptions()) {
        self.layout = layout
        self.options = options
    }

    /// Discovers the store at `root` and verifies it.
    public static func verify(
        _ root: String, storeOptions: StoreOptions = StoreOptions(), options: VerifyOptions = VerifyOptions(),
        report: (Finding) -> Void
    ) throws(StoreError) -> VerifySummary {
        let layout = try StoreLayout.discover(root, options: storeOptions)
        return StoreVerifier(layout: layout, options: options).run(report: report)
    }

    /// Runs every selected check, passing findings to `report` as they are found (commitlog
    /// findings in log order, then consume queues, index, checkpoint/store, config).
    public func run(report: (Finding) -> Void) -> VerifySummary {
        withoutActuallyEscaping(report) { report in
            let collector = FindingCollector(limit: options.maxFindings, report: report)
            return run(collector)
        }
    }

    private func run(_ collector: FindingCollector) -> VerifySummary {
        var summary = VerifySummary()
        let lockHeld = options.lockHeld ?? StoreLock.isHeld(storeAt: layout.root)
        summary.lockHeld = lockHeld
        if lockHeld {
            // A running broker appends and dispatches while we read: the consume queues and the
            // index may legitimately lag behind or run ahead of the log pass.
            collector.downgradedToInfo = ["cq.ahead-of-log", "cq.behind-log", "index.ahead-of-log", "index.behind-log",
                                          "bcq.ahead-of-log", "bcq.behind-log"]
        }
        let areas = options.areas
        let checkOptions = RecordCheckOptions(checkCRC: true, acceptVersion2: true, delayLevels: layout.options.delayLevels)

        collector.enabled = areas.contains(.commitlog)
        let facts = CommitLogVerifier(layout: layout, options: options, lockHeld: lockHeld, checkOptions: checkOptions)
            .run(into: collector)
        summary.commitLogFiles = layout.commitLogFiles.count
        summary.commitLogBytes = layout.commitLogFiles.reduce(0) { $0 + $1.size }
        summary.records = facts.records
        summary.minOffset = facts.minOffset
        summary.maxOffset = facts.endOffset

        var bounds: [VerifyQueueKey: (min: Int64, max: Int64)] = [:]
        // [5.x] BatchCQ topics' queues live in batchconsumequeue/ instead (§7.4).
        let batchQueues = BatchConsumeQueueLocation.discover(layout.root)
        if areas.contains(.consumequeue) {
            collector.enabled = true
            bounds = ConsumeQueueVerifier(layout: layout, facts: facts, jobs: options.jobs, batchQueues: Set(batchQueues.map(\.key)))
                .run(into: collector, summary: &summary)
            let batchBounds = BatchConsumeQueueVerifier(facts: facts, delayLevels: layout.options.delayLevels)
                .run(batchQueues, into: collector, summary: &summary)
            bounds.merge(batchBounds) { cq, _ in cq }
        } else if areas.contains(.config) {
            for location in layout.consumeQueues {
                if let read = try? ConsumeQueueBounds.read(location) {
                    bounds[VerifyQueueKey(topic: location.topic, queueId: location.queueId)] = (read.minOffset, read.maxOffset)
                }
            }
            if !batchQueues.isEmpty {
                // Only the bounds are wanted here: the batch queues' findings are not reported.
                var unused = VerifySummary()
                let batchBounds = BatchConsumeQueueVerifier(facts: facts, delayLevels: layout.options.delayLevels)
                    .run(batchQueues, into: FindingCollector(limit: 0) { _ in }, summary: &unused)
                bounds.merge(batchBounds) { cq, _ in cq }
            }
        }
        if areas.contains(.index) {
            collector.enabled = true
            IndexVerifier(layout: layout, facts: facts, jobs: options.jobs, replaySlotLimit: options.indexReplaySlotLimit).run(into: collector, summary: &summary)
        }
        let metadata = MetadataVerifier(layout: layout, facts: facts, lockHeld: lockHeld)
        if areas.contains(.checkpoint) {
            collector.enabled = true
            metadata.checkStore(into: collector)
            metadata.checkCheckpoint(into: collector)
        }
        if areas.contains(.config) {
            collector.enabled = true
            metadata.checkConfig(bounds: bounds, into: collector)
        }
        summary.findings = collector.counts
        summary.suppressed = collector.suppressed
        summary.verdict = VerifyVerdict(worst: collector.worst)
        return summary
    }
}
