// Writing into one IndexFile in place, FORMAT.md §8.3 and §8.5 (`IndexFile.putKey`).
//
// Works on a mutable buffer (an mmap) so the store engine can index exactly as the broker does.
// The header lives in the buffer and is re-read on every put, so the buffer is the only state.

public struct IndexFileWriter {
    public let bytes: UnsafeMutableRawBufferPointer
    public let layout: IndexFileLayout
    /// Where entries go: entry `i` at `entries + 20 × (i − entriesFirst)`. By default the
    /// entries region of `bytes`; an engine building a file offline points it at a buffer of
    /// the entries from `entriesFirst` on, which it writes to the file itself (puts never read
    /// entries back: a new entry links to the previous one through its slot).
    public var entries: UnsafeMutableRawPointer
    public var entriesFirst: Int = 0
    /// Where the header and the slot table are (the file's first `layout.entriesStart` bytes):
    /// by default the start of `bytes`; an engine building a file offline points it at a copy
    /// it writes to the file itself, so that the slots' random writes cost no page faults.
    public var head: UnsafeMutableRawPointer

    /// Fails when the buffer is not exactly `layout.fileSize` bytes.
    public init(bytes: UnsafeMutableRawBufferPointer, layout: IndexFileLayout) throws(FormatError) {
        try layout.validate(fileSize: bytes.count)
        self.bytes = bytes
        self.layout = layout
        entries = bytes.baseAddress! + layout.entriesStart
        head = bytes.baseAddress!
    }

    /// The header and slot table, wherever `head` points.
    private var headBytes: UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: head, count: layout.entriesStart)
    }

    /// The header's indexCount as a put reads it (`IndexHeader.load`: a stored count ≤ 0 is 1):
    /// the number of the entry the next put writes.
    public var nextEntry: Int {
        let stored = Int32(bigEndian: head.loadUnaligned(fromByteOffset: IndexHeader.indexCountIndex, as: Int32.self))
        return Int(stored <= 0 ? 1 : stored)
    }

    /// The header as it is in the buffer now.
    public var header: IndexHeader {
        // The size was validated at init, so the header is always there.
        (try? IndexHeader(decoding: UnsafeRawBufferPointer(headBytes))) ?? IndexHeader()
    }

    /// Prepares a freshly created (zeroed) file the way the `IndexFile` constructor does when
    /// `IndexService` rotates: begin/end phy offset and timestamp are preset from the previous
    /// file's end values when those are > 0. indexCount stays 0 on disk until the first put.
    public func initializeNewFile(previousEndPhyOffset: Int64, previousEndTimestamp: Int64) {
        var header = self.header
        if previousEndPhyOffset > 0 {
            header.beginPhyOffset = previousEndPhyOffset
            header.endPhyOffset = previousEndPhyOffset
        }
        if previousEndTimestamp > 0 {
            header.beginTimestamp = previousEndTimestamp
            header.endTimestamp = previousEndTimestamp
        }
        header.store(into: headBytes)
    }

    /// True when no further entry fits (indexCount ≥ N); the service then rotates. Read in
    /// place (asked once per indexed record), with `IndexHeader.load`'s rule: a stored count ≤ 0 is 1.
    public var isFull: Bool { nextEntry >= layout.indexNum }

    /// The header's endPhyOffset, read in place.
    public var endPhyOffset: Int64 {
        Int64(bigEndian: head.loadUnaligned(fromByteOffset: IndexHeader.endPhyoffsetIndex, as: Int64.self))
    }

    /// `IndexFile.putKey` for an already normalized key hash (`IndexKey.hash`). Returns false
    /// when the file is full (or the hash is negative, which Java would fail on too).
    ///
    /// Millions of puts go through here in a rebuild, so the header fields are read and written
    /// in place rather than decoded and encoded whole. Every position is in bounds: the buffer
    /// is `layout.fileSize` bytes (checked at init), indexCount < N and the slot is < H.
    public func putKey(keyHash: Int32, phyOffset: Int64, storeTimestamp: Int64) -> Bool {
        let base = head
        func load<T: FixedWidthInteger>(_: T.Type, _ position: Int) -> T { T(bigEndian: base.loadUnaligned(fromByteOffset: position, as: T.self)) }
        func store<T: FixedWidthInteger>(_ value: T, _ position: Int) { base.storeBytes(of: value.bigEndian, toByteOffset: position, as: T.self) }

        let storedCount = load(Int32.self, IndexHeader.indexCountIndex)
        let indexCount = storedCount <= 0 ? 1 : storedCount  // IndexHeader.load: a fresh file counts from 1
        guard Int(indexCount) < layout.indexNum, keyHash >= 0 else { return false }
        let absSlotPos = layout.slotPosition(layout.slot(forKeyHash: keyHash))
        var slotValue = load(Int32.self, absSlotPos)
        if slotValue <= 0 || slotValue > indexCount { slotValue = 0 }

        // Quirk kept on purpose: computed against beginTimestamp BEFORE the first put of this
        // file sets it, so entry 1 is relative to the value inherited at rotation (or 0).
        let beginTimestamp = load(Int64.self, IndexHeader.beginTimestampIndex)
        var timeDiff = (storeTimestamp &- beginTimestamp) / 1000
        if beginTimestamp <= 0 {
            timeDiff = 0
        } else if timeDiff > Int64(Int32.max) {
            timeDiff = Int64(Int32.max)
        } else if timeDiff < 0 {
            timeDiff = 0
        }

        let entry = entries + IndexFileLayout.entrySize * (Int(indexCount) - entriesFirst)
        entry.storeBytes(of: keyHash.bigEndian, toByteOffset: 0, as: Int32.self)
        entry.storeBytes(of: phyOffset.bigEndian, toByteOffset: 4, as: Int64.self)
        entry.storeBytes(of: Int32(timeDiff).bigEndian, toByteOffset: 12, as: Int32.self)
        entry.storeBytes(of: slotValue.bigEndian, toByteOffset: 16, as: Int32.self)
        store(indexCount, absSlotPos)

        if indexCount <= 1 {
            store(phyOffset, IndexHeader.beginPhyoffsetIndex)
            store(storeTimestamp, IndexHeader.beginTimestampIndex)
        }
        if slotValue == 0 { store(load(Int32.self, IndexHeader.hashSlotcountIndex) &+ 1, IndexHeader.hashSlotcountIndex) }
        store(indexCount + 1, IndexHeader.indexCountIndex)
        store(phyOffset, IndexHeader.endPhyoffsetIndex)
        store(storeTimestamp, IndexHeader.endTimestampIndex)
        return true
    }

    /// `putKey` for a key (`topic#key`).
    public func putKey(_ key: IndexKey, phyOffset: Int64, storeTimestamp: Int64) -> Bool {
        putKey(keyHash: key.hash, phyOffset: phyOffset, storeTimestamp: storeTimestamp)
    }
}
