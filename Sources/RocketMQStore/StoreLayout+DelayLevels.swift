// The delay per level a store was written with, read from its schedule queues (see
// DelayLevelTable+Observed). A broker configured with another `messageDelayLevel` than the
// default writes other deliver times into SCHEDULE_TOPIC_XXXX's units; reading them with the
// default table would make verify report every unit and rebuild/recover rewrite them wrong.

import RocketMQFormat

extension StoreLayout {
    /// Level → delay (ms) for each schedule queue whose first and last units of its newest file
    /// agree on one configurable delay (two probes, so one damaged unit cannot set a level).
    static func observedDelays(queues: [ConsumeQueueLocation], commitLogFiles: [SegmentFile], commitLogFileSize: Int64) -> [Int32: Int64] {
        var observed: [Int32: Int64] = [:]
        for queue in queues where queue.topic == DelayLevelTable.scheduleTopic && queue.queueId >= 0 && queue.queueId < Int32.max {
            guard let file = queue.files.last(where: { $0.size >= Int64(ConsumeQueueUnit.size) }),
                  let bytes = try? FileSystem.read(file.path, offset: 0, count: Int(min(file.size, 1 << 20)))
            else { continue }
            let units: [ConsumeQueueUnit] = bytes.withUnsafeBytes { raw in
                stride(from: 0, through: raw.count - ConsumeQueueUnit.size, by: ConsumeQueueUnit.size).compactMap { position in
                    (try? ConsumeQueueUnit(decoding: raw, at: position)).flatMap { $0.isValid && !$0.isPreBlank ? $0 : nil }
                }
            }
            guard let first = units.first, let last = units.last,
                  let a = delay(of: first, queueId: queue.queueId, commitLogFiles: commitLogFiles, fileSize: commitLogFileSize),
                  let b = delay(of: last, queueId: queue.queueId, commitLogFiles: commitLogFiles, fileSize: commitLogFileSize),
                  a == b, DelayLevelTable.isConfigurable(a)
            else { continue }
            observed[queue.queueId + 1] = a
        }
        return observed
    }

    /// tagsCode − STORETIMESTAMP of the schedule record `unit` points at, when it is one.
    private static func delay(of unit: ConsumeQueueUnit, queueId: Int32, commitLogFiles: [SegmentFile], fileSize: Int64) -> Int64? {
        guard let file = commitLogFiles.last(where: { $0.fromOffset <= unit.physicalOffset }),
              unit.physicalOffset - file.fromOffset < max(file.size, fileSize),
              let bytes = try? FileSystem.read(file.path, offset: unit.physicalOffset - file.fromOffset, count: Int(unit.size))
        else { return nil }
        return bytes.withUnsafeBytes { raw -> Int64? in
            let options = RecordCheckOptions(checkCRC: false, checksZeroTail: false)
            guard case .message(let record) = RecordDecoder.decode(raw, at: 0, options: options), record.check.success,
                  record.totalSize == unit.size, record.physicalOffset == unit.physicalOffset,
                  record.isScheduleTopic, record.queueId == queueId
            else { return nil }
            return unit.tagsCode &- record.storeTimestamp
        }
    }
}
