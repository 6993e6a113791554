// What RocketMQ 4.9.8's `DefaultMessageStore.load()` does with an entry whose name is not one it
// writes (FORMAT.md §11.1, §19), so that verify rates it, preview reports it and recover mends it
// consistently:
//
// - commitlog/ and consumequeue/<topic>/<queueId>/ go through `MappedFileQueue.load`: each entry's
//   length must be the configured file size ("length not matched", load() fails), then
//   `new MappedFile` parses the name with Long.parseLong; the NumberFormatException is not caught
//   there and `DefaultMessageStore.load` turns it into a failed load. A numeric name of the right
//   size is loaded as a segment starting at that offset.
// - consumequeue/<topic>/<not an int>/ and plain files beside the topic directories are skipped
//   (`Integer.parseInt` failure is caught; `listFiles()` of a file is null).
// - index/: `IndexService.load` catches NumberFormatException and skips the file; a numeric name is
//   loaded as an index file (mapped read-write at the index file size, so a short file grows), and
//   a numeric directory fails with an IOException, which fails load().

import RocketMQStore

public enum StrayLoadRule {
    public enum Effect: Sendable, Equatable {
        /// load() returns false: the broker does not start.
        case failsLoad(String)
        /// Loaded as if the broker had written it: wrong data in the queue or index.
        case loadedAsSegment(String)
        /// Skipped by load(): harmless to the broker.
        case skipped(String)

        public var blocksOrMisleadsLoad: Bool {
            if case .skipped = self { return false }
            return true
        }

        public var explanation: String {
            switch self {
            case .failsLoad(let text), .loadedAsSegment(let text), .skipped(let text): text
            }
        }
    }

    /// The effect of `stray` on RocketMQ 4.9.8's load().
    public static func effect(of stray: StrayEntry, in layout: StoreLayout) -> Effect {
        let components = stray.relativePath.split(separator: "/", omittingEmptySubsequences: false)
        let name = String(components.last ?? "")
        let status = try? FileSystem.status(layout.root + "/" + stray.relativePath)
        let isFile = status?.kind == .file
        let size = status?.size ?? -1
        switch components.first {
        case "commitlog":
            return .failsLoad("RocketMQ's loader trips over it: load() fails")
        case "consumequeue" where components.count == 4:
            if !isFile || size != layout.consumeQueueFileSize {
                return .failsLoad("\(isFile ? "\(size) bytes" : "not a regular file"), not mappedFileSizeConsumeQueue \(layout.consumeQueueFileSize): "
                    + "MappedFileQueue.load fails (\"length not matched\"), load() fails")
            }
            if Int64(name) == nil {
                return .failsLoad("Long.parseLong throws NumberFormatException in MappedFileQueue.load: load() fails")
            }
            return .loadedAsSegment("loaded as a consume queue file starting at offset \(name)")
        case "consumequeue":
            return .skipped("skipped by RocketMQ's load()")
        case "index":
            if Int64(name) == nil { return .skipped("skipped by RocketMQ's load() (IndexService.load catches the NumberFormatException)") }
            if !isFile { return .failsLoad("a numeric name that is not a regular file: IndexService.load gets an IOException, load() fails") }
            return .loadedAsSegment("loaded as an index file (mapped read-write at the index file size)")
        default:
            return .skipped("not read by RocketMQ's load()")
        }
    }
}
