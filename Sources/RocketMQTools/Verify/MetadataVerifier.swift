// Store-level checks (FORMAT.md §1, §9, §10, §17, §18 items 21–23): stray entries, abort and
// lock, the checkpoint against the data, config JSON (and .bak) parsing, delayOffset.json within
// the schedule queues and consumerOffset.json within each queue's range.

import RocketMQFormat
import RocketMQStore

struct MetadataVerifier {
    var layout: StoreLayout
    var facts: LogFacts
    var lockHeld: Bool

    func checkStore(into collector: FindingCollector) {
        // Rated by what RocketMQ 4.9.8's load() does with it (StrayLoadRule): a stray it fails on
        // or loads as a segment is repairable (recover sets it aside), one it skips is info.
        for stray in layout.strays {
            let effect = StrayLoadRule.effect(of: stray, in: layout)
            collector.add(Finding(effect.blocksOrMisleadsLoad ? .repairable : .info, "store.stray", file: stray.relativePath,
                                  "unexpected entry: \(stray.reason) (\(effect.explanation))"))
        }
        if lockHeld {
            collector.add(Finding(.info, "store.lock-held", file: "lock",
                                  "a live process holds the store lock: a broker is running; the tail may be in progress"))
        }
        if layout.abortExists {
            collector.add(Finding(lockHeld ? .info : .repairable, "store.abort-present", file: "abort",
                                  lockHeld ? "abort present while the broker runs (normal)"
                                      : "abort present: the last shutdown was not clean; RocketMQ will run abnormal recovery"))
        }
    }

    func checkCheckpoint(into collector: FindingCollector) {
        guard let path = layout.checkpointPath else {
            collector.add(Finding(.repairable, "checkpoint.missing", file: "checkpoint", expected: "\(StoreCheckpoint.fileSize)-byte file",
                                  found: "missing", "checkpoint is missing (RocketMQ creates an empty one; abnormal recovery then starts from file 0)"))
            return
        }
        guard let bytes = try? FileSystem.readFile(path) else {
            collector.add(Finding(.unreadable, "checkpoint.unreadable", file: "checkpoint", "cannot read the checkpoint"))
            return
        }
        if bytes.count != StoreCheckpoint.fileSize {
            collector.add(Finding(.repairable, "checkpoint.size", file: "checkpoint", expected: String(StoreCheckpoint.fileSize),
                                  found: String(bytes.count), "checkpoint size differs from 4096"))
        }
        guard let checkpoint = bytes.withUnsafeBytes({ try? StoreCheckpoint(decoding: $0) }) else { return }
        let last = facts.lastStoreTimestamp
        if facts.records > 0 {
            for (name, position, value) in [("physicMsgTimestamp", Int64(0), checkpoint.physicMsgTimestamp),
                                            ("logicsMsgTimestamp", Int64(8), checkpoint.logicsMsgTimestamp)] where value > last {
                collector.add(Finding(.info, "checkpoint.ahead-of-log", file: "checkpoint", position: position,
                                      expected: "<= \(last)", found: String(value),
                                      "\(name) is later than the last record's store time (the log lost its tail?)"))
            }
        }
        // §9, §18 item 21: indexMsgTimestamp is the endTimestamp of the last full index file.
        if checkpoint.indexMsgTimestamp != 0, !layout.indexFiles.isEmpty,
           !layout.indexFiles.contains(where: { IndexVerifier.acceptedHeader($0, in: layout)?.endTimestamp == checkpoint.indexMsgTimestamp }) {
            collector.add(Finding(.info, "checkpoint.index-timestamp", file: "checkpoint", position: 16,
                                  expected: "the endTimestamp of an index file", found: String(checkpoint.indexMsgTimestamp),
                                  "indexMsgTimestamp names no index file's end time (the file may have expired)"))
        }
        if checkpoint.confirmPhyOffset > facts.endOffset {
            collector.add(Finding(.info, "checkpoint.confirm-offset-ahead", file: "checkpoint", position: 32,
                                  expected: "<= \(facts.endOffset)", found: String(checkpoint.confirmPhyOffset),
                                  "confirmPhyOffset is past the end of the log"))
        }
    }

    func checkConfig(bounds: [VerifyQueueKey: (min: Int64, max: Int64)], into collector: FindingCollector) {
        for name in layout.configFiles.sorted() where name.hasSuffix(".json") || name.hasSuffix(".json.bak") {
            let relative = "config/" + name
            guard let bytes = try? FileSystem.readFile(layout.root + "/" + relative) else {
                collector.add(Finding(.unreadable, "config.unreadable", file: relative, "cannot read"))
                continue
            }
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) {
                collector.add(Finding(.repairable, "config.empty", file: relative,
                                      "empty config file (the broker falls back to the .bak)"))
                continue
            }
            do {
                _ = try FastJSON.parse(bytes)
            } catch {
                collector.add(Finding(.repairable, "config.parse-error", file: relative, position: Int64(error.offset),
                                      expected: error.expected, "does not parse as (fastjson) JSON: \(error)"))
            }
        }
        if let loaded = try? ConfigFileLoader.load("delayOffset.json", in: layout),
           let table = loaded.bytes.withUnsafeBytes({ try? DelayOffsetTable(decoding: $0) }) {
            for (level, offset) in table.offsetTable.sorted(by: { $0.key < $1.key }) {
                let key = VerifyQueueKey(topic: DelayLevelTable.scheduleTopic, queueId: level - 1)
                check(offset, key: key, bound: bounds[key], file: loaded.source, what: "delay level \(level)",
                      code: "config.delay-offset-out-of-range", into: collector)
            }
        }
        if let loaded = try? ConfigFileLoader.load("consumerOffset.json", in: layout),
           let table = loaded.bytes.withUnsafeBytes({ try? ConsumerOffsetTable(decoding: $0) }) {
            for entry in table.entries {
                let key = VerifyQueueKey(topic: entry.topic, queueId: entry.queueId)
                check(entry.offset, key: key, bound: bounds[key], file: loaded.source,
                      what: "group \(entry.group)", code: "config.consumer-offset-out-of-range", into: collector)
            }
        }
    }

    private func check(_ offset: Int64, key: VerifyQueueKey, bound: (min: Int64, max: Int64)?, file: String, what: String,
                       code: String, into collector: FindingCollector) {
        let max = bound?.max ?? 0
        let min = bound?.min ?? 0
        if offset < 0 || offset > max {
            collector.add(Finding(.repairable, code, file: file, topic: key.topic, queueId: key.queueId, queueOffset: offset,
                                  expected: "\(min)...\(max)", found: String(offset),
                                  "\(what): offset \(offset) is past the end of its queue (max offset \(max))"))
        } else if offset < min {
            collector.add(Finding(.info, code, file: file, topic: key.topic, queueId: key.queueId, queueOffset: offset,
                                  expected: "\(min)...\(max)", found: String(offset),
                                  "\(what): offset \(offset) is below the queue's min offset \(min)"))
        }
    }
}
