// The log pass's per-queue bookkeeping: each dispatched record adds one expected unit to its
// queue (and, for LMQ records, one to each LMQ queue it names, FORMAT.md §7.2).

import RocketMQFormat

extension CommitLogFileScanner {
    /// Adds a unit at `queueOffset` to the queue's run, noting a gap in the queue offsets.
    func addUnit(topic: UnsafeRawBufferPointer, queueId: Int32, queueOffset: Int64, step: Int64, physical: Int64,
                 digest: UInt64, digestable: Bool, position: Int, queues: inout QueueRunTable,
                 into result: inout CommitLogFileScan) {
        let (slot, existing) = queues.run(topic: topic, queueId: queueId)
        guard var run = existing else {
            queues.set(QueueRun(firstQueueOffset: queueOffset, nextQueueOffset: queueOffset + step,
                                firstPhysicalOffset: physical, lastPhysicalOffset: physical, count: 1,
                                digest: digest, digestable: digestable),
                       slot: slot, topic: topic, queueId: queueId)
            return
        }
        if queueOffset != run.nextQueueOffset {
            result.findings.append(Finding(
                .info, "log.queue-offset-gap", file: result.file.relativePath, position: Int64(position),
                physicalOffset: physical, topic: String(decoding: topic, as: UTF8.self), queueId: queueId,
                queueOffset: queueOffset, expected: String(run.nextQueueOffset), found: String(queueOffset),
                "QUEUEOFFSET does not follow the previous record of this queue"))
        }
        run.nextQueueOffset = queueOffset + step
        run.lastPhysicalOffset = physical
        run.count += 1
        run.digest &+= digest
        if !digestable { run.digestable = false }
        queues.set(run, slot: slot, topic: topic, queueId: queueId)
    }

    /// LMQ (`enableMultiDispatch`): the record also gets a unit in queue 0 of every `%LMQ%` name
    /// in INNER_MULTI_DISPATCH, at the matching offset of INNER_MULTI_QUEUE_OFFSET.
    func addLMQUnits(names: UnsafeRawBufferPointer, offsets: UnsafeRawBufferPointer?, record: MessageRecordView,
                     physical: Int64, tagsCode: Int64, queues: inout QueueRunTable, into result: inout CommitLogFileScan) {
        let nameList = LMQ.split(names)
        let offsetList = offsets.map(LMQ.split) ?? []
        for (i, name) in nameList.enumerated() where LMQ.isLMQ(name) {
            let offset = i < offsetList.count ? LMQ.parseOffset(offsetList[i]) : nil
            guard let offset else {
                result.findings.append(Finding(
                    .info, "record.lmq-offset-missing", file: result.file.relativePath, position: Int64(record.position),
                    physicalOffset: physical, topic: String(decoding: name, as: UTF8.self), queueId: 0,
                    expected: "an offset in INNER_MULTI_QUEUE_OFFSET", found: offsets.map { String(decoding: $0, as: UTF8.self) },
                    "an LMQ queue named in INNER_MULTI_DISPATCH has no queue offset"))
                continue
            }
            let digest = UnitDigest.unit(queueOffset: offset, physicalOffset: physical, size: record.totalSize, tagsCode: tagsCode)
            addUnit(topic: name, queueId: 0, queueOffset: offset, step: 1, physical: physical, digest: digest,
                    digestable: true, position: record.position, queues: &queues, into: &result)
        }
    }
}

/// LMQ property helpers (names are `%LMQ%…`, lists are comma-separated).
enum LMQ {
    static let prefix = "%LMQ%"

    static func isLMQ(_ name: UnsafeRawBufferPointer) -> Bool {
        name.count > 5 && name.prefix(5).elementsEqual(prefix.utf8)
    }

    static func isLMQ(_ topic: String) -> Bool { topic.hasPrefix(prefix) }

    static func split(_ list: UnsafeRawBufferPointer) -> [UnsafeRawBufferPointer] {
        var parts: [UnsafeRawBufferPointer] = []
        var start = 0
        for i in 0...list.count where i == list.count || list[i] == UInt8(ascii: ",") {
            parts.append(UnsafeRawBufferPointer(rebasing: list[start..<i]))
            start = i + 1
        }
        return parts
    }

    static func parseOffset(_ text: UnsafeRawBufferPointer) -> Int64? {
        guard !text.isEmpty, text.count <= 18 else { return nil }
        var value: Int64 = 0
        for byte in text {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int64(byte - 0x30)
        }
        return value
    }

    /// The queue offset `record` lists for LMQ queue `name`, nil when it does not list it.
    static func offset(of name: String, in record: MessageRecordView) -> Int64? {
        guard let names = record.propertyBytes("INNER_MULTI_DISPATCH") else { return nil }
        let offsets = record.propertyBytes("INNER_MULTI_QUEUE_OFFSET").map(split) ?? []
        for (i, candidate) in split(names).enumerated() where candidate.elementsEqual(name.utf8) {
            return i < offsets.count ? parseOffset(offsets[i]) : nil
        }
        return nil
    }
}
