// A consume queue that starts after the first message the log still holds for it (FORMAT.md §7.1,
// §16, §18 item 16). RocketMQ deletes a consume queue file only once its last unit points below
// the commitlog min offset (deleteExpiredFile), so the file holding the unit of a record the log
// still has is never legitimately gone: a queue that starts later lost its head. Expired stores
// do not trip this: the log pass only sees records at or above the commitlog min, and their
// units lie in files RocketMQ keeps. Pre-blank units (0, 0x7FFFFFFF, 0) do not count as a start.

import RocketMQFormat
import RocketMQStore

enum MissingHead {
    /// The finding when the queue's first unit (or, with none, its first file's start:
    /// `queueStart`) lies after the first queue offset the log holds for it.
    static func finding(run: QueueRun, queueStart: Int64, key: VerifyQueueKey, directory: String, fileSize: Int64,
                        firstFile: SegmentFile?) -> Finding? {
        guard run.firstQueueOffset < queueStart, run.firstQueueOffset >= 0, fileSize > 0 else { return nil }
        let unitSize = Int64(ConsumeQueueUnit.size)
        let firstByte = run.firstQueueOffset * unitSize
        let expectedStart = firstByte - firstByte % fileSize
        let range = "queue offsets \(run.firstQueueOffset)...\(min(queueStart, run.nextQueueOffset) - 1)"
        if let firstFile, expectedStart < firstFile.fromOffset {
            let expected = SegmentFile.name(forOffset: expectedStart)
            let files = firstFile.fromOffset - expectedStart == fileSize ? "file \(expected) is"
                : "files \(expected)...\(SegmentFile.name(forOffset: firstFile.fromOffset - fileSize)) are"
            return Finding(
                .repairable, "cq.missing-head", file: directory + "/" + expected, position: firstByte - expectedStart,
                physicalOffset: run.firstPhysicalOffset, topic: key.topic, queueId: key.queueId,
                queueOffset: run.firstQueueOffset, expected: expected, found: firstFile.name,
                "consume queue \(files) missing: the log still holds this queue's messages at \(range) (first at physical offset \(run.firstPhysicalOffset)), which have no unit; RocketMQ only deletes a consume queue file once all its units point below the commitlog min offset")
        }
        return Finding(
            .repairable, "cq.missing-head", file: firstFile?.relativePath ?? directory,
            position: firstFile.map { max(0, firstByte - $0.fromOffset) }, physicalOffset: run.firstPhysicalOffset,
            topic: key.topic, queueId: key.queueId, queueOffset: run.firstQueueOffset,
            expected: String(run.firstQueueOffset), found: String(queueStart),
            "the consume queue starts at queue offset \(queueStart) but the log still holds this queue's messages from \(run.firstQueueOffset): \(range) (first at physical offset \(run.firstPhysicalOffset)) have no unit")
    }
}
