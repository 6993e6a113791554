// The commitlog pass (FORMAT.md §1, §2, §18 items 1 and 3–8): file names, sizes, gaps and
// blanks, then every record of every file. With jobs > 1 each file is split into chunks that
// threads walk at the same time (CommitLogFileScanner.prepare/finish: the joined result is the
// serial walk's). The same pass adds up what the consume queues and index files should hold
// (UnitDigest), so that they can be proven without reading the log again.
//
// Memory: per chunk scan results are small (findings, failures, one QueueRun per queue seen in
// the chunk, one digest per index file) and are merged in file order batch by batch, so the
// pass holds O(chunks in a batch × queues) besides the mapped pages.

import Dispatch
import RocketMQFormat
import RocketMQStore
import Synchronization

struct CommitLogVerifier {
    var layout: StoreLayout
    var options: VerifyOptions
    var lockHeld: Bool
    var checkOptions: RecordCheckOptions

    func run(into collector: FindingCollector) -> LogFacts {
        let files = layout.commitLogFiles
        var scanner = CommitLogFileScanner(options: checkOptions)
        scanner.transactionLinks = TransactionLinks(files: files, options: checkOptions)
        // Keyed records matter only past the index's end (index.behind-log / index.missing).
        if options.areas.contains(.index) {
            scanner.keyedAfter = layout.indexFiles.isEmpty ? .min : (IndexVerifier.coveredEnd(layout) ?? .min)
            scanner.coverage = layout.indexFiles.isEmpty ? nil : IndexCoverage(layout)
        } else {
            scanner.keyedAfter = .max
        }
        var scans: [CommitLogFileScan] = []
        scans.reserveCapacity(files.count)
        let total = files.reduce(Int64(0)) { $0 + $1.size }
        var done: Int64 = 0
        let batchSize = max(1, options.jobs * 2)
        var batchStart = 0
        var queues: [VerifyQueueKey: QueueRun] = [:]
        while batchStart < files.count {
            let batch = Array(files[batchStart..<min(files.count, batchStart + batchSize)])
            for var scan in scanBatch(batch, scanner: scanner) {
                Self.merge(&queues, scan.queueRuns, file: scan.file, into: &scan.findings)
                scan.queueRuns = [:]
                done += scan.file.size
                scans.append(scan)
                options.progress?(VerifyProgress(phase: "commitlog", bytesDone: done, bytesTotal: total))
            }
            batchStart += batchSize
        }
        return finish(scans, queues: queues, into: collector)
    }

    private func scanBatch(_ batch: [SegmentFile], scanner: CommitLogFileScanner) -> [CommitLogFileScan] {
        if options.jobs <= 1 { return batch.map { scanner.scan($0) } }
        let prepared = batch.map { scanner.prepare($0, chunkSize: max(4096, options.chunkSize)) }
        var items: [(file: Int, chunk: Int)] = []
        for (f, file) in prepared.enumerated() {
            for c in file.starts.indices { items.append((f, c)) }
        }
        let work = items
        let results = Locked<[[CommitLogFileScanner.ChunkScan?]]>(
            prepared.map { Array(repeating: nil, count: $0.starts.count) })
        let next = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: min(options.jobs, work.count)) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < work.count else { return }
                let item = work[index]
                let scan = scanner.scan(prepared[item.file], chunk: item.chunk)
                results.withLock { $0[item.file][item.chunk] = scan }
            }
        }
        let chunks = results.withLock { $0 }
        return prepared.indices.map { scanner.finish(prepared[$0], chunks[$0].map { $0! }) }
    }

    /// Appends a later stretch of the log's queue runs (next file, next chunk) to `queues`.
    static func merge(_ queues: inout [VerifyQueueKey: QueueRun], _ runs: [VerifyQueueKey: QueueRun], file: SegmentFile,
                      into findings: inout [Finding]) {
        for (key, run) in runs {
            guard var merged = queues[key] else {
                queues[key] = run
                continue
            }
            if run.firstQueueOffset != merged.nextQueueOffset {
                findings.append(Finding(
                    .info, "log.queue-offset-gap", file: file.relativePath,
                    position: run.firstPhysicalOffset - file.fromOffset, physicalOffset: run.firstPhysicalOffset,
                    topic: key.topic, queueId: key.queueId, queueOffset: run.firstQueueOffset,
                    expected: String(merged.nextQueueOffset), found: String(run.firstQueueOffset),
                    "QUEUEOFFSET does not follow the previous record of this queue"))
            }
            merged.nextQueueOffset = run.nextQueueOffset
            merged.lastPhysicalOffset = run.lastPhysicalOffset
            merged.count += run.count
            merged.digest &+= run.digest
            merged.digestable = merged.digestable && run.digestable
            queues[key] = merged
        }
    }

    private func finish(_ scans: [CommitLogFileScan], queues: [VerifyQueueKey: QueueRun], into collector: FindingCollector) -> LogFacts {
        let fileSize = layout.commitLogFileSize
        let lastData = scans.lastIndex { $0.hasData }
        let lastValidStart = scans.compactMap(\.lastValidStart).max() ?? -1
        let endOffset = scans.compactMap(\.lastValidEnd).max() ?? (scans.first?.file.fromOffset ?? 0)
        var failed = Set<Int64>()
        var infos: [CommitLogMap.FileInfo] = []
        var lastKeyed: Int64?
        var indexDigests: [IndexDigest] = []
        var unindexed: (first: Int64, count: Int)?
        var lastStore: Int64 = 0
        var records = 0

        for (i, scan) in scans.enumerated() {
            let file = scan.file
            let path = file.relativePath
            records += scan.records
            if let keyed = scan.lastKeyedOffset { lastKeyed = max(lastKeyed ?? keyed, keyed) }
            if let part = scan.unindexed {
                unindexed = unindexed.map { (min($0.first, part.first), $0.count + part.count) } ?? part
            }
            if !scan.indexDigests.isEmpty {
                if indexDigests.isEmpty { indexDigests = scan.indexDigests }
                else { for d in scan.indexDigests.indices { indexDigests[d].add(scan.indexDigests[d]) } }
            }
            if scan.records > 0 {
                if records > scan.records, scan.firstStoreTimestamp < lastStore, let first = scan.firstValidStart {
                    collector.add(RecordInvariants.storeTimeBackwards(
                        file: file, physical: first, storeTimestamp: scan.firstStoreTimestamp, previous: lastStore))
                }
                lastStore = scan.lastStoreTimestamp
            }
            infos.append(CommitLogMap.FileInfo(file: file, dataEnd: scan.dataEnd))
            let afterData = lastData.map { i > $0 } ?? true
            if let error = scan.ioError {
                collector.add(Finding(.unreadable, "commitlog.unreadable", file: path, "cannot read: \(error)"))
                continue
            }
            // Name and place in the sequence.
            if fileSize > 0, file.fromOffset % fileSize != 0 {
                collector.add(Finding(
                    .damaged, "commitlog.misaligned-name", file: path, expected: "a multiple of \(fileSize)",
                    found: String(file.fromOffset), "file name is not a multiple of the commitlog file size"))
            }
            if i + 1 < scans.count {
                let step = scans[i + 1].file.fromOffset - file.fromOffset
                if step > fileSize {
                    collector.add(Finding(
                        afterData ? .repairable : .damaged, "commitlog.gap", file: path,
                        physicalOffset: file.fromOffset + fileSize, expected: SegmentFile.name(forOffset: file.fromOffset + fileSize),
                        found: scans[i + 1].file.name, "commitlog file(s) missing after this one: \(step - fileSize) bytes of the log are absent"))
                } else if step < fileSize {
                    collector.add(Finding(
                        .damaged, "commitlog.overlap", file: path, physicalOffset: scans[i + 1].file.fromOffset,
                        expected: SegmentFile.name(forOffset: file.fromOffset + fileSize), found: scans[i + 1].file.name,
                        "the next commitlog file starts inside this one"))
                }
            }
            // Size.
            if file.size != fileSize {
                let severity: Finding.Severity = (afterData || (i == lastData && file.size < fileSize)) ? .repairable : .damaged
                let code = file.size == 0 ? "commitlog.zero-length-file" : "commitlog.file-size"
                collector.add(Finding(
                    severity, code, file: path, expected: String(fileSize), found: String(file.size),
                    "file size differs from the commitlog file size (RocketMQ 4.9.8 refuses to load the store)"))
            }
            // Blank at the end of every file before the last one with data.
            if let lastData, i < lastData, !scan.endedWithBlank, scan.failures.isEmpty {
                collector.add(Finding(
                    .damaged, "commitlog.missing-blank", file: path, position: Int64(scan.dataEnd),
                    physicalOffset: file.fromOffset + Int64(scan.dataEnd), expected: "a blank marker",
                    found: "end of data", "file is not the last one with data but does not end with a blank marker; recovery would cut the log here"))
            }
            collector.add(scan.findings)
            if let odd = scan.oddUniqueKeys { collector.add(UniqueKeyFormat.finding(odd, file: file)) }
            for failure in scan.failures {
                failed.insert(failure.physicalOffset)
                collector.add(classify(failure, file: file, isTail: failure.physicalOffset > lastValidStart))
            }
        }
        let map = CommitLogMap(files: infos, fileSize: fileSize, endOffset: endOffset, failedOffsets: failed,
                               options: checkOptions)
        return LogFacts(map: map, queues: queues, lastKeyedOffset: lastKeyed, indexDigests: indexDigests, unindexed: unindexed, lastStoreTimestamp: lastStore,
                        records: records)
    }

    /// Damage in the middle of the log, or a torn tail (nothing valid after it).
    private func classify(_ failure: PendingFailure, file: SegmentFile, isTail: Bool) -> Finding {
        var finding = Finding(
            .damaged, failure.code, file: file.relativePath, position: Int64(failure.position),
            physicalOffset: failure.physicalOffset, expected: failure.expected, found: failure.found, failure.message)
        guard isTail else {
            if let resume = failure.resumesAt {
                finding.message += "; valid records resume at \(file.fromOffset + Int64(resume))"
            }
            return finding
        }
        if failure.code == "commitlog.garbage-after-end" {
            finding.severity = .info
            return finding
        }
        if lockHeld {
            finding.severity = .info
            finding.code = "record.tail-in-progress"
            finding.message = "the broker holds the lock: a record being written at the end of the log (\(failure.code): \(failure.message))"
        } else {
            finding.severity = .repairable
            finding.code = "record.torn-tail"
            finding.message = "torn tail after the last valid record (\(failure.code): \(failure.message)); recovery truncates here"
        }
        return finding
    }
}
