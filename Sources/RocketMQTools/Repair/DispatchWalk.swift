// The commitlog as the dispatch path of a repair reads it: every record that passes the
// store's check (no CRC), in log order, each file from byte 0 until its first record that
// fails, its blank marker or its end of data; CommitLogWalker's rules for `.proceed`.
//
// A tight loop for the million-record walks of rebuild and recover: no event per record (the
// walker's events carry the SegmentFile, whose strings are retained and released per record),
// and the files are read with pread (`SequentialReader`, a helper reading ahead on idle time),
// not mapped. A view's `position` is then relative to the window it was decoded from; the file
// offset is what `visit` is given.

import RocketMQFormat
import RocketMQStore

enum DispatchWalk {
    /// Calls `visit` with each record and its global offset; `visit` returns false to stop.
    /// (`chunkSize` is the reader's; tests make it small, so that records straddle chunks.)
    static func records(
        _ layout: StoreLayout, options: RecordCheckOptions, fromOffset: Int64 = 0, toOffset: Int64 = .max,
        chunkSize: Int = 256 << 10, _ visit: (MessageRecordView, Int64) throws(StoreError) -> Bool
    ) throws(StoreError) {
        for file in layout.commitLogFiles {
            if file.fromOffset + max(file.size, 1) <= fromOffset { continue }
            if file.fromOffset >= toOffset { break }
            let reader = try SequentialReader(path: file.path, chunkSize: chunkSize, readsAhead: true)
            let base = file.fromOffset
            var position = 0
            // Each view lent to `visit` where it was decoded (`withMessage`): no copy per record.
            var failure: StoreError?
            var stop = false
            while true {
                var advance = 0
                _ = try reader.withMessage(at: position, options: options) { record in
                    guard record.check.success else { return }
                    do throws(StoreError) {
                        if try visit(record, base + Int64(position)) { advance = Int(record.totalSize) } else { stop = true }
                    } catch { failure = error }
                }
                if let failure { throw failure }
                if stop { return }
                guard advance > 0 else { break }  // no message, or one that fails the check
                position += advance
            }
        }
    }
}
