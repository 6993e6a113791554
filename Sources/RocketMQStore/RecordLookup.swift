// What `StoreReader` finds at a physical offset: a record the store's check accepts (a view
// into the mapped file, valid only inside the closure it is passed to), or why there is none.

import RocketMQFormat

public enum RecordLookup {
    case record(MessageRecordView, file: SegmentFile)
    case unreadable(UnreadableRecord)
}
