// Formats the dump's `msg` lines on worker threads and writes them in log order.
//
// The SHA-256 of each body costs about as much as decoding the record, so one thread cannot
// dump a million records a second. The walking thread decodes and filters; batches of
// records go to workers that write the lines (RecordDescriber, as always) into their own
// buffers; the walking thread writes finished batches to the sink in the order it queued
// them. A fixed ring of batches bounds memory whatever the store's size.
//
// The records point into the mapped commitlog file: `finishPending` must run before that
// file is unmapped (CommitLogDump calls it at the end of each file).

import Dispatch
import RocketMQFormat

final class MessageLinePipeline {
    /// One batch: records of one file, then the lines a worker wrote for them.
    private final class Batch: @unchecked Sendable {
        // Touched by the walking thread while filling and writing out, by one worker in
        // between; `done` orders the two.
        var records: [MessageRecordView] = []
        var file = ""
        var fileFromOffset: Int64 = 0
        var submitted = false
        let done = DispatchSemaphore(value: 0)
        // The worker's writer state, changed for every field it writes, on cache lines of its
        // own: next to the object header (whose reference count the walking thread changes
        // for every record it queues) it made the two threads' caches fight over one line.
        private let gap = CacheLinePadding()
        var lines = JSONLineWriter(capacity: 1 << 16)
        private let gapAfter = CacheLinePadding()
    }

    /// 128 bytes: two cache lines, also against the adjacent-line prefetcher.
    private struct CacheLinePadding {
        let words: (Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64,
                    Int64, Int64, Int64, Int64, Int64, Int64, Int64, Int64) = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    }

    private let describer: RecordDescriber
    private let batchSize: Int
    private let batches: [Batch]
    private var filling = 0
    private let queue = DispatchQueue(label: "rmqstore.dump.format", attributes: .concurrent)

    /// `workers` threads at most format at once (the ring holds twice as many batches).
    init(describer: RecordDescriber, workers: Int, batchSize: Int = 256) {
        self.describer = describer
        self.batchSize = batchSize
        batches = (0..<max(2, 2 * workers)).map { _ in
            let batch = Batch()
            batch.records.reserveCapacity(batchSize)
            return batch
        }
    }

    /// The name of the file whose records `append` gets next (set at each file's start: a
    /// String handed along with every record would be retained and released per record).
    private var fileName = ""

    func startFile(name: String) { fileName = name }

    /// Queues `record` (of the file at `fileFromOffset`, named by `startFile`) for formatting;
    /// may write earlier batches to `sink`.
    func append(_ record: MessageRecordView, fileFromOffset: Int64, into sink: LineSink) {
        var batch = batches[filling]
        var count = batch.records.count
        // A batch holds one file's records (file names are their start offsets).
        if count != 0 && batch.fileFromOffset != fileFromOffset {
            submitFilling(into: sink)
            batch = batches[filling]
            count = 0
        }
        if count == 0 {
            if batch.file != fileName {
                // A private copy: the workers' retains of the name must not share a
                // reference count with the walking thread's copies (cache-line ping-pong).
                batch.file = String(decoding: Array(fileName.utf8), as: UTF8.self)
            }
            batch.fileFromOffset = fileFromOffset
        }
        batch.records.append(record)
        if count + 1 >= batchSize { submitFilling(into: sink) }
    }

    /// Formats everything queued and writes it to `sink`, oldest first.
    func finishPending(into sink: LineSink) {
        if !batches[filling].records.isEmpty { submitFilling(into: sink) }
        for step in 0..<batches.count {
            writeOut(batches[(filling + step) % batches.count], into: sink)
        }
    }

    private func submitFilling(into sink: LineSink) {
        let batch = batches[filling]
        batch.submitted = true
        let describer = describer
        queue.async {
            // Locals: each read of a class property is a dynamic exclusivity check.
            let file = batch.file, fileFromOffset = batch.fileFromOffset
            batch.lines.reset()
            for record in batch.records {
                describer.writeMessage(record, file: file, fileFromOffset: fileFromOffset, into: &batch.lines)
                batch.lines.newline()
            }
            batch.done.signal()
        }
        filling = (filling + 1) % batches.count
        // The next batch to fill is the oldest one queued: write it out first.
        writeOut(batches[filling], into: sink)
    }

    private func writeOut(_ batch: Batch, into sink: LineSink) {
        guard batch.submitted else { return }
        batch.done.wait()
        batch.submitted = false
        batch.lines.withBytes { sink.writeLines($0) }
        batch.records.removeAll(keepingCapacity: true)
    }
}
