// Streams the commitlog in log order, one mapped file at a time, in constant memory.
//
// Each file is walked from byte 0 the way RocketMQ's recovery walks it: record after record
// while the store's check succeeds; a blank marker ends the file; a position where no record
// starts, or a record that fails the check, ends the walk of that file, and the walk goes on
// with the next file (so a reader sees everything a broker could still read).

import RocketMQFormat

public struct CommitLogWalker {
    public enum Event {
        case fileStart(SegmentFile)
        /// A record (its `check` may have failed; then a `.stop` follows at the same position).
        case message(SegmentFile, MessageRecordView)
        case blank(SegmentFile, BlankMarker)
        /// The walk of this file stops at `position`.
        case stop(SegmentFile, WalkStop)
    }

    public enum Control { case proceed, skipRestOfFile, finish }

    public var layout: StoreLayout
    public var checkOptions: RecordCheckOptions
    /// Go on past a record that fails its check when its TOTALSIZE still lands on a record
    /// (for listing everything; recovery semantics stop there).
    public var continuePastDamage: Bool

    public init(layout: StoreLayout, checkOptions: RecordCheckOptions = .recovery, continuePastDamage: Bool = false) {
        self.layout = layout
        self.checkOptions = checkOptions
        self.continuePastDamage = continuePastDamage
    }

    /// Walks the files that overlap `[fromOffset, toOffset)`; records are visited from the
    /// start of each file, so `fromOffset` need not be a record boundary.
    public func walk(
        fromOffset: Int64 = 0, toOffset: Int64 = .max, _ visit: (Event) throws -> Control
    ) throws {
        for file in layout.commitLogFiles {
            if file.fromOffset + max(file.size, 1) <= fromOffset { continue }
            if file.fromOffset >= toOffset { break }
            let region = try MappedRegion(path: file.path)
            let control = try region.withBytes { bytes in
                try walkFile(file, bytes: bytes, visit)
            }
            if control == .finish { return }
        }
    }

    /// Walks one file's bytes; returns `.finish` when the visitor asked to stop everything.
    public func walkFile(
        _ file: SegmentFile, bytes: UnsafeRawBufferPointer, _ visit: (Event) throws -> Control
    ) throws -> Control {
        switch try visit(.fileStart(file)) {
        case .finish: return .finish
        case .skipRestOfFile: return .proceed
        case .proceed: break
        }
        var position = 0
        while true {
            let entry = RecordDecoder.decode(bytes, at: position, options: checkOptions)
            var next: Int?
            let control: Control
            switch entry {
            case .message(let record):
                control = try visit(.message(file, record))
                if control == .proceed {
                    if record.check.success {
                        next = position + Int(record.totalSize)
                    } else {
                        let stop = WalkStop(position: position, reason: .checkFailed(record.check))
                        let after = try visit(.stop(file, stop))
                        if after == .finish { return .finish }
                        if continuePastDamage, record.isComplete, record.totalSize >= RecordDecoder.minimumRecordSize,
                           position + Int(record.totalSize) <= bytes.count {
                            next = position + Int(record.totalSize)
                        }
                    }
                }
            case .blank(let blank):
                control = try visit(.blank(file, blank))
            case .end(let end):
                control = try visit(.stop(file, WalkStop(position: position, reason: .noRecord(end))))
            }
            if control == .finish { return .finish }
            guard control == .proceed, let following = next else { return .proceed }
            position = following
        }
    }
}

