// The commitlog as the dispatch path of a repair reads it: every record that passes the
// store's check (no CRC), in log order, each file from byte 0 until its first record that
// fails, its blank marker or its end of data; CommitLogWalker's rules for `.proceed`.
//
// A tight loop for the million-record walks of rebuild and recover: no event per record (the
// walker's events carry the SegmentFile, whose strings are retained and released per record).

import RocketMQFormat
import RocketMQStore

enum DispatchWalk {
    /// Calls `visit` with each record and its global offset; `visit` returns false to stop.
    static func records(
        _ layout: StoreLayout, options: RecordCheckOptions, fromOffset: Int64 = 0, toOffset: Int64 = .max,
        _ visit: (MessageRecordView, Int64) throws(StoreError) -> Bool
    ) throws(StoreError) {
        for file in layout.commitLogFiles {
            if file.fromOffset + max(file.size, 1) <= fromOffset { continue }
            if file.fromOffset >= toOffset { break }
            let region = try MappedRegion(path: file.path)
            region.prefetchDataPart()
            let base = file.fromOffset
            let go = try region.withBytes { (bytes) throws(StoreError) -> Bool in
                var position = 0
                var readAhead = ReadAhead(bytes)
                while let record = RecordDecoder.message(in: bytes, at: position, options: options), record.check.success {
                    readAhead.advance(to: position)
                    guard try visit(record, base + Int64(position)) else { return false }
                    position += Int(record.totalSize)
                }
                return true
            }
            if !go { return }
        }
    }
}
