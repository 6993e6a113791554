// `salvage --renumber`: the committed offsets of config/consumerOffset.json (and the
// offsetTable of lmqConsumerOffset.json, which replaces it with enableLmq; its LMQ table is left,
// LMQ queues are not renumbered) and config/delayOffset.json (SCHEDULE_TOPIC_XXXX queue
// level − 1) moved to the renumbered queues, so no consumer skips or re-reads a kept record.
//
// The file is edited as parsed (FastJSON keeps member order, bare keys and members this code
// does not know, such as 5.x's dataVersion) and written back in fastjson's pretty layout.

import RocketMQFormat

struct SalvageOffsetAdjuster {
    static let scheduleTopic = "SCHEDULE_TOPIC_XXXX"

    let queues: [SalvageQueueOffsets.Key: SalvageQueueOffsets.Queue]
    private(set) var adjustments: [StoreSalvager.OffsetAdjustment] = []

    init(queues: [SalvageQueueOffsets.Key: SalvageQueueOffsets.Queue]) {
        self.queues = queues
    }

    /// The new bytes of config file `name` (as loaded), or nil to copy it unchanged: not an
    /// offset file, not parsable as one, or no committed offset moved.
    mutating func adjusted(_ name: String, value: JSONValue) -> [UInt8]? {
        guard ["consumerOffset.json", "lmqConsumerOffset.json", "delayOffset.json"].contains(name),
              case .object(var members) = value,
              let tableIndex = members.lastIndex(where: { $0.key == "offsetTable" }),
              case .object(var table) = members[tableIndex].value else { return nil }
        let before = adjustments.count
        for i in table.indices {
            if name == "delayOffset.json" {
                guard let level = Int32(table[i].key), level > 0 else { continue }
                table[i].value = move(table[i].value, file: name, entry: table[i].key,
                                      queue: .init(topic: Self.scheduleTopic, queueId: level - 1))
            } else {
                guard let (topic, _) = ConsumerOffsetTable.split(topicAtGroup: table[i].key),
                      case .object(var offsets) = table[i].value else { continue }
                for j in offsets.indices {
                    guard let queueId = Int32(offsets[j].key) else { continue }
                    offsets[j].value = move(offsets[j].value, file: name, entry: table[i].key,
                                            queue: .init(topic: topic, queueId: queueId))
                }
                table[i].value = .object(offsets)
            }
        }
        guard adjustments.count > before else { return nil }
        members[tableIndex].value = .object(table)
        return JSONWriter.bytes(.object(members), style: .fastjsonPretty)
    }

    /// `value` (a committed offset) mapped into the renumbered queue; notes the change.
    private mutating func move(_ value: JSONValue, file: String, entry: String, queue key: SalvageQueueOffsets.Key) -> JSONValue {
        guard let committed = value.int64Value, let queue = queues[key] else { return value }
        let moved = queue.newOffset(for: committed)
        guard moved != committed else { return value }
        adjustments.append(StoreSalvager.OffsetAdjustment(file: file, entry: entry, topic: key.topic, queueId: key.queueId,
                                                          from: committed, to: moved))
        return .integer(moved)
    }
}
