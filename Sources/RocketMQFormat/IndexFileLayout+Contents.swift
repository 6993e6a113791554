// Telling an index file's geometry from its bytes (FORMAT.md §8).
//
// maxHashSlotNum (H) and maxIndexNum (N) are broker settings that the file does not record, and
// its size 40 + 4H + 20N has many solutions. The N = 4·H rule of `infer(fileSize:)` holds for the
// broker defaults and for the usual test settings, but a broker configured otherwise (say
// 100 slots and 300 entries) writes files that rule misreads. The entries themselves settle it,
// because `IndexFile.putKey` leaves three marks that only the right geometry lines up:
//
// * entry 1 is the first put: its physical offset is the header's beginPhyOffset and its
//   prevIndex is 0 (its slot was empty);
// * the last counted entry (indexCount − 1) is the last put: its physical offset is the
//   header's endPhyOffset;
// * that put wrote its own number into slot keyHash % H; a later put (not yet in the header
//   when the header was last flushed) can only have raised it.

extension IndexFileLayout {
    /// The geometry the file's entries confirm, or nil when the file has fewer than one entry,
    /// its header does not decode, or no single geometry (or more than one) fits. Tries the
    /// `infer(fileSize:)` answer first; otherwise every H of the right residue (a linear pass
    /// over the entries area, only for files that rule does not explain).
    public static func confirmed(byContents bytes: UnsafeRawBufferPointer) -> IndexFileLayout? {
        guard let header = try? IndexHeader(decoding: bytes), header.indexCount >= 2 else { return nil }
        let size = bytes.count
        if let guess = infer(fileSize: size), guess.isConfirmed(by: bytes, header: header) { return guess }
        let count = Int(header.indexCount)
        // 40 + 4H + 20N = size: 4H ≡ size − 40 (mod 20), so H runs over one class mod 5.
        var slots = 1
        while slots <= 5, (size - headerSize - slotSize * slots) % entrySize != 0 { slots += 1 }
        var found: IndexFileLayout?
        while headerSize + slotSize * slots + entrySize * count <= size {
            let entries = (size - headerSize - slotSize * slots) / entrySize
            if let candidate = IndexFileLayout(hashSlotNum: slots, indexNum: entries),
               candidate.isConfirmed(by: bytes, header: header) {
                if found != nil { return nil }  // two geometries fit: say nothing rather than guess
                found = candidate
            }
            slots += 5
        }
        return found
    }

    /// Whether the three marks of `putKey` line up under this geometry.
    func isConfirmed(by bytes: UnsafeRawBufferPointer, header: IndexHeader) -> Bool {
        let count = Int(header.indexCount)
        guard bytes.count == fileSize, count >= 2, count <= indexNum else { return false }
        let first = entryPosition(1), last = entryPosition(count - 1)
        guard bytes.readBigEndian(Int64.self, at: first + 4) == header.beginPhyOffset,
              bytes.readBigEndian(Int32.self, at: first + 16) == 0,
              bytes.readBigEndian(Int64.self, at: last + 4) == header.endPhyOffset,
              let lastHash = bytes.readBigEndian(Int32.self, at: last), lastHash >= 0,
              let slotValue = bytes.readBigEndian(Int32.self, at: slotPosition(slot(forKeyHash: lastHash)))
        else { return false }
        return Int(slotValue) >= count - 1 && Int(slotValue) < indexNum
    }
}
