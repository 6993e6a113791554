// Consumer lag per group and queue: consumerOffset.json against each queue's max offset.

import RocketMQFormat
import RocketMQStore

enum ConsumerLagReport {
    static func gather(_ layout: StoreLayout, notes: inout [String]) throws -> [StoreStatistics.ConsumerLag] {
        guard let loaded = try ConfigFileLoader.load("consumerOffset.json", in: layout) else { return [] }
        if let problem = loaded.problem { notes.append("\(problem); used \(loaded.source)") }
        let table: ConsumerOffsetTable
        do {
            table = try loaded.bytes.withUnsafeBytes { raw in try ConsumerOffsetTable(decoding: raw) }
        } catch {
            notes.append("\(loaded.source): \(error)")
            return []
        }
        var bounds: [String: ConsumeQueueBounds] = [:]
        for location in layout.consumeQueues { bounds[location.key] = try ConsumeQueueBounds.read(location) }
        return table.entries.map { entry in
            StoreStatistics.ConsumerLag(
                group: entry.group, topic: entry.topic, queueId: entry.queueId, consumerOffset: entry.offset,
                maxOffset: bounds["\(entry.topic)-\(entry.queueId)"]?.maxOffset)
        }
    }
}
