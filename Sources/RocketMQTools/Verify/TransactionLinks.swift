// FORMAT.md §18 item 11 (§13): a COMMIT record's PREPARED TRANSACTION OFFSET names the record it
// commits: a half record (RMQ_SYS_TRANS_HALF_TOPIC, 4.3+) whose REAL_TOPIC/REAL_QID are the
// commit's topic and queueId, or a legacy PREPARED record of the commit's own queue (the pre-4.3
// flow, still accepted by the store; legacy ROLLBACK records link the same way). Either way it
// carries the same UNIQ_KEY and, for a COMMIT, the same body bytes (EndTransactionProcessor
// copies the body as stored, compressed or not; the fixture's legacy ROLLBACK records have none).
//
// The link points back into the log, possibly into a file another thread is walking: the target
// is read through its own read-only map, opened on the first COMMIT that needs that file. COMMIT
// records are rare (one per transaction), so the random reads cost nothing next to the walk, and
// memory stays one mapping per file touched.
//
// Findings are info, like the other record invariants RocketMQ never checks (RecordInvariants):
// the broker ignores the link once the commit is written, the committed message itself is intact
// and consumable, and no repair can restore a changed header field outside the body CRC.

import RocketMQFormat
import RocketMQStore

final class TransactionLinks: Sendable {
    private let files: [SegmentFile]
    /// The first commitlog file's start: a link below it names an expired record.
    private let minOffset: Int64
    private let options: RecordCheckOptions
    private let regions: Locked<[Int: MappedRegion]> = Locked([:])

    init(files: [SegmentFile], options: RecordCheckOptions) {
        self.files = files
        self.minOffset = files.first?.fromOffset ?? 0
        var checked = options
        checked.checkCRC = true  // a damaged target is told apart from a wrong link
        self.options = checked
    }

    /// Checks the link of a COMMIT or ROLLBACK record at `physical` (nil: nothing to report).
    func check(_ record: MessageRecordView, uniqueKey: UnsafeRawBufferPointer?, file: SegmentFile, physical: Int64) -> Finding? {
        let prepared = record.preparedTransactionOffset
        let type = record.transactionType
        func finding(_ code: String, expected: String?, found: String?, _ message: String) -> Finding {
            Finding(.info, code, file: file.relativePath, position: physical - file.fromOffset, physicalOffset: physical,
                    topic: record.topic, queueId: record.queueId, queueOffset: record.queueOffset,
                    expected: expected, found: found, "\(type.name) record: " + message)
        }
        if prepared >= physical || prepared < 0 {
            return finding("tx.prepared-link", expected: "< \(physical)", found: String(prepared),
                           "PREPARED TRANSACTION OFFSET does not point back into the log")
        }
        if prepared < minOffset {
            return finding("tx.prepared-expired", expected: ">= \(minOffset)", found: String(prepared),
                           "the half/prepared record it commits is below the commitlog min offset (expired)")
        }
        guard let index = fileIndex(containing: prepared), let region = region(index) else {
            return finding("tx.prepared-unreadable", expected: "a commitlog file holding \(prepared)", found: "none",
                           "no readable commitlog file holds the half/prepared record it names")
        }
        let position = Int(prepared - files[index].fromOffset)
        return region.withBytes { bytes -> Finding? in
            guard case .message(let target) = RecordDecoder.decode(bytes, at: position, options: options),
                  target.physicalOffset == prepared else {
                return finding("tx.prepared-link", expected: "a record at \(prepared)", found: "no record starts there",
                               "PREPARED TRANSACTION OFFSET does not name a record")
            }
            guard target.check.success else {
                return finding("tx.prepared-damaged", expected: nil, found: target.check.failure?.code,
                               "the half/prepared record at \(prepared) fails its checks (reported with the commitlog)")
            }
            return Self.mismatch(commit: record, uniqueKey: uniqueKey, target: target).map {
                finding("tx.prepared-mismatch", expected: $0.expected, found: $0.found,
                        "the record at PREPARED TRANSACTION OFFSET \(prepared) is not the one committed (\($0.field))")
            }
        }
    }

    /// What differs between a commit and the record its link names (nil: it is its half/prepared record).
    static func mismatch(commit: MessageRecordView, uniqueKey: UnsafeRawBufferPointer?, target: MessageRecordView)
        -> (field: String, expected: String, found: String)? {
        if target.topicBytes.elementsEqual(RecordInvariants.halfTopic.utf8) {
            if target.transactionType != .notType {
                return ("transaction type", "not (half record)", target.transactionType.name)
            }
            let realTopic = target.propertyBytes("REAL_TOPIC")
            if !(realTopic?.elementsEqual(commit.topicBytes) ?? false) {
                return ("REAL_TOPIC", commit.topic, realTopic.map { String(decoding: $0, as: UTF8.self) } ?? "absent")
            }
            let realQueueId = target.property("REAL_QID")
            if realQueueId.flatMap({ Int32($0) }) != commit.queueId {
                return ("REAL_QID", String(commit.queueId), realQueueId ?? "absent")
            }
        } else if target.transactionType == .prepared {
            // Legacy flow: the prepared record sits in the real queue.
            if !target.topicBytes.elementsEqual(commit.topicBytes) { return ("topic", commit.topic, target.topic) }
            if target.queueId != commit.queueId { return ("queueId", String(commit.queueId), String(target.queueId)) }
        } else {
            return ("record", "a half record (\(RecordInvariants.halfTopic)) or a prepared record",
                    "\(target.transactionType.name) record of \(target.topic)")
        }
        let targetKey = target.propertyBytes("UNIQ_KEY")
        let same = switch (uniqueKey, targetKey) {
        case (nil, nil): true
        case (let a?, let b?): a.elementsEqual(b)
        default: false
        }
        if !same {
            func text(_ key: UnsafeRawBufferPointer?) -> String { key.map { String(decoding: $0, as: UTF8.self) } ?? "absent" }
            return ("UNIQ_KEY", text(uniqueKey), text(targetKey))
        }
        // A legacy ROLLBACK record is written without a body.
        if commit.transactionType == .commit, !commit.body.elementsEqual(target.body) {
            return ("body", "\(commit.body.count) bytes, bodyCRC \(commit.bodyCRC)", "\(target.body.count) bytes, bodyCRC \(target.bodyCRC)")
        }
        return nil
    }

    private func fileIndex(containing offset: Int64) -> Int? {
        var low = 0, high = files.count - 1
        while low <= high {
            let mid = (low + high) / 2
            let file = files[mid]
            if offset < file.fromOffset { high = mid - 1 }
            else if offset >= file.fromOffset + max(file.size, 0) { low = mid + 1 }
            else { return mid }
        }
        return nil
    }

    /// The file's map, opened on first use (no lock held while mapping is needed: maps are cheap).
    private func region(_ index: Int) -> MappedRegion? {
        if let region = regions.withLock({ $0[index] }) { return region }
        guard let region = try? MappedRegion(path: files[index].path, sequential: false) else { return nil }
        return regions.withLock { cache in
            if let existing = cache[index] { return existing }
            cache[index] = region
            return region
        }
    }
}
