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
            let zeroFrom = region.prefetchDataPart()
            let control = try region.withBytes { bytes in
                try walkFile(file, bytes: bytes, zeroFrom: zeroFrom, visit)
            }
            if control == .finish { return }
        }
    }

    /// Walks one file's bytes; returns `.finish` when the visitor asked to stop everything.
    /// `zeroFrom` is where the file's trailing hole starts (`SparseFile.dataEnd`): every byte
    /// from there reads as zero, so the check that the rest of the file is zeros stops there
    /// instead of faulting in the hole's pages (most of a fresh 1 GiB file).
    /// A `checkedMessage` closure (the overload below) receives each message that passes its
    /// check instead of `visit`: no `Event` is built for it (an event copies the record and
    /// retains the file, a measurable cost per record in a million-record dump).
    public func walkFile(
        _ file: SegmentFile, bytes: UnsafeRawBufferPointer, zeroFrom: Int = .max, _ visit: (Event) throws -> Control
    ) throws -> Control {
        try walkFile(file, bytes: bytes, zeroFrom: zeroFrom, visit, checkedMessage: { try visit(.message(file, $0)) })
    }

    /// `walkFile` with the messages that pass their check handed to `checkedMessage`. (Not an
    /// optional closure: that would make it escaping, and the captures of an escaping closure
    /// are boxed and checked for exclusive access at run time, per record.)
    public func walkFile(
        _ file: SegmentFile, bytes: UnsafeRawBufferPointer, zeroFrom: Int = .max,
        _ visit: (Event) throws -> Control, checkedMessage: (MessageRecordView) throws -> Control
    ) throws -> Control {
        switch try visit(.fileStart(file)) {
        case .finish: return .finish
        case .skipRestOfFile: return .proceed
        case .proceed: break
        }
        var position = 0
        var readAhead = ReadAhead(bytes, end: zeroFrom)
        while true {
            readAhead.advance(to: position)
            let entry = Self.decode(bytes, at: position, zeroFrom: zeroFrom, options: checkOptions)
            var next: Int?
            let control: Control
            switch entry {
            case .message(let record):
                if record.check.success {
                    control = try checkedMessage(record)
                } else {
                    control = try visit(.message(file, record))
                }
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

    /// `RecordDecoder.decode`, reading no further than `zeroFrom` when that gives the same
    /// answer: a record that passes its check over the data part reads only its own bytes,
    /// so it is the same record over the whole file; and "zero-filled to the end" over the
    /// data part is the same verdict over the whole file. Anything else (a blank marker, which
    /// counts the bytes to the file's end; damage) is decoded again over the whole file, so the
    /// entry is always the whole file's.
    @inline(__always)
    static func decode(
        _ bytes: UnsafeRawBufferPointer, at position: Int, zeroFrom: Int, options: RecordCheckOptions
    ) -> CommitLogEntry {
        // At least the 8 bytes of TOTALSIZE + MAGIC, so that an end at (or just before) the
        // hole, e.g. the empty next file RocketMQ creates ahead, still reads as zero-filled.
        let limit = max(zeroFrom, position + BlankMarker.length)
        guard limit < bytes.count, position >= 0 else {
            return RecordDecoder.decode(bytes, at: position, options: options)
        }
        let dataPart = UnsafeRawBufferPointer(rebasing: bytes[..<limit])
        let entry = RecordDecoder.decode(dataPart, at: position, options: options)
        switch entry {
        case .message(let record) where record.check.success:
            return entry
        case .end(let end) where end.restIsZero && end.reason == .zeroFilled:
            return entry
        default:
            return RecordDecoder.decode(bytes, at: position, options: options)
        }
    }
}
