// The file checks of `DefaultMessageStore.load()` that make a broker refuse to start
// (FORMAT.md §1 "Rules for loading segment files", §19): every commitlog and consume queue
// file must be exactly the configured size and named by a decimal offset.

import RocketMQFormat
import RocketMQStore

struct StartupLoadCheck {
    var failure: StartupPreview.LoadFailure?
    var notes: [String] = []
    /// Files the broker itself deletes while loading (5.x: a zero-length last commitlog file).
    var autoDeleted: Set<String> = []

    init(layout: StoreLayout, rules: StartupRules) throws(StoreError) {
        // commitlog/: Java sorts File objects (path order) and checks each length, then parses
        // the name with Long.parseLong (an uncaught NumberFormatException fails load()).
        let entries = try FileSystem.list(layout.commitLogDirectory)
        let size = layout.commitLogFileSize
        for (i, entry) in entries.enumerated() {
            let relative = "commitlog/" + entry.name
            if rules == .rocketMQ5 {
                if entry.kind == .directory { notes.append("\(relative): a directory, skipped by 5.x"); continue }
                if entry.size == 0 && i == entries.count - 1 {
                    autoDeleted.insert(relative)
                    notes.append("\(relative): zero-length last file, deleted by the 5.x loader")
                    continue
                }
            }
            if entry.kind != .file || entry.size != size {
                let issue: String? = entry.size == 0 ? "apache/rocketmq#6904" : (entry.kind == .file ? nil : "apache/rocketmq#3257")
                let what = entry.kind == .directory ? "a directory" : "\(entry.size) bytes"
                failure = .init(path: relative,
                                message: "\(what), not the configured mappedFileSizeCommitLog \(size): \"length not matched message store config value\", load() fails",
                                issue: issue)
                return
            }
            if SegmentFile.parseName(entry.name) == nil && Int64(entry.name) == nil {
                failure = .init(path: relative,
                                message: "name is not a decimal offset: Long.parseLong throws NumberFormatException, load() fails",
                                issue: "apache/rocketmq#3257")
                return
            }
        }

        // consumequeue/<topic>/<queueId>/: queue directories that are not an int are skipped.
        try checkConsumeQueues(layout)
        guard failure == nil else { return }
        // index/ (loaded after the consume queues): StrayLoadRule.
        for stray in layout.strays where stray.relativePath.hasPrefix("index/") {
            switch StrayLoadRule.effect(of: stray, in: layout) {
            case .failsLoad(let text):
                failure = .init(path: stray.relativePath, message: text, issue: nil)
                return
            case .loadedAsSegment(let text), .skipped(let text):
                notes.append("\(stray.relativePath): \(text)")
            }
        }
    }

    private mutating func checkConsumeQueues(_ layout: StoreLayout) throws(StoreError) {
        guard layout.hasConsumeQueueDirectory else { return }
        let cqSize = layout.consumeQueueFileSize
        for topic in try FileSystem.list(layout.consumeQueueDirectory) where topic.kind == .directory {
            let topicPath = layout.consumeQueueDirectory + "/" + topic.name
            for queue in try FileSystem.list(topicPath) {
                guard queue.kind == .directory, JavaString.parseInt(queue.name) != nil else {
                    notes.append("consumequeue/\(topic.name)/\(queue.name): not a queue id, skipped")
                    continue
                }
                for file in try FileSystem.list(topicPath + "/" + queue.name) {
                    let relative = "consumequeue/\(topic.name)/\(queue.name)/\(file.name)"
                    if file.kind != .file || file.size != cqSize {
                        failure = .init(path: relative,
                                        message: "\(file.size) bytes, not the configured mappedFileSizeConsumeQueue \(cqSize): load() fails",
                                        issue: file.size == 0 ? "apache/rocketmq#9728" : nil)
                        return
                    }
                    if Int64(file.name) == nil {
                        failure = .init(path: relative,
                                        message: "name is not a decimal offset: NumberFormatException, load() fails", issue: nil)
                        return
                    }
                }
            }
        }
    }
}
