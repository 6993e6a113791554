// Fuzz target FuzzCommitLogFile: the input is one commitlog file, walked record after record as
// recovery and `dump` walk it, every entry described as text and as a JSON line.

import RocketMQFormat

extension FuzzChecks {
    public static func checkCommitLogFile(_ input: UnsafeRawBufferPointer) {
        let describer = describer(for: input)
        // The file's start offset only shifts the printed offsets; take one from the input
        // end so that large values (and overflow near Int64.max) get exercised too.
        let origin = input.count >= 8 ? parameter(input, at: input.count - 8, as: Int64.self) & Int64.max : 0
        // A file's range fits in an Int64 (StoreLayout sets other files aside).
        let fileFromOffset = min(origin, Int64.max - Int64(input.count))
        // The walk that goes on past damage visits the recovery walk's entries first (the two
        // agree up to the first failed check), so one walk covers both.
        walk(input, describer: describer, fileFromOffset: fileFromOffset, continuePastDamage: true)
    }

    /// `CommitLogWalker.walkFile` over a buffer: the next position is always past the current
    /// one, so the walk ends on any bytes.
    static func walk(
        _ file: UnsafeRawBufferPointer, describer: RecordDescriber, fileFromOffset: Int64, continuePastDamage: Bool
    ) {
        var position = 0
        var records = 0
        while true {
            let entry = RecordDecoder.decode(file, at: position)
            // Describing is the slow part: the first eight entries, then only entries that end
            // the walk or fail their check.
            if records < 8 { describe(entry, describer: describer, fileFromOffset: fileFromOffset) }
            guard case .message(let record) = entry else {
                if records >= 8 { describe(entry, describer: describer, fileFromOffset: fileFromOffset) }
                return
            }
            if records < 4 { exerciseAccessors(record) }
            records += 1
            let size = Int(record.totalSize)
            if record.check.success {
                require(size >= Int(RecordDecoder.minimumRecordSize), "accepted record shorter than the minimum")
                require(position + size <= file.count, "accepted record runs past the file")
                checkRoundTrip(record)
            } else {
                if records > 8 { describe(entry, describer: describer, fileFromOffset: fileFromOffset) }
                guard continuePastDamage, record.isComplete, size >= Int(RecordDecoder.minimumRecordSize),
                      position + size <= file.count else { return }
            }
            position += size
        }
    }

    /// What `dump` prints for an entry, in both formats; JSON lines must parse.
    static func describe(_ entry: CommitLogEntry, describer: RecordDescriber, fileFromOffset: Int64) {
        var writer = JSONLineWriter(capacity: 512)
        switch entry {
        case .message(let record):
            _ = describer.describe(record, fileFromOffset: fileFromOffset)
            describer.writeMessage(record, file: "00000000000000000000", fileFromOffset: fileFromOffset, into: &writer)
            requireJSONObject(writer.bytes, "msg")
            if !record.check.success {
                let stop = WalkStop(position: record.position, reason: .checkFailed(record.check))
                describeStop(stop, describer: describer, fileFromOffset: fileFromOffset)
            }
        case .blank(let blank):
            _ = describer.describe(blank, fileFromOffset: fileFromOffset)
        case .end(let end):
            describeStop(WalkStop(position: end.position, reason: .noRecord(end)), describer: describer,
                         fileFromOffset: fileFromOffset)
        }
    }

    static func describeStop(_ stop: WalkStop, describer: RecordDescriber, fileFromOffset: Int64) {
        _ = describer.describe(stop, fileFromOffset: fileFromOffset)
        var writer = JSONLineWriter(capacity: 256)
        describer.writeStop(stop, file: "00000000000000000000", fileFromOffset: fileFromOffset, into: &writer)
        requireJSONObject(writer.bytes, "end")
    }
}
