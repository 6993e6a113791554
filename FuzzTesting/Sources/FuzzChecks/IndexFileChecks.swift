// Fuzz target FuzzIndexFile: an IndexFile (§8). The first 4 bytes choose the geometry (slot
// count H and entry count N, which are broker settings not stored in the file); the rest is the
// file, zero-padded or cut to 40 + 4H + 20N bytes. Every lookup must end, whatever the slot
// chains hold (cycles included), and a key put into the file must be found again.

import RocketMQFormat

extension FuzzChecks {
    public static func checkIndexFile(_ input: UnsafeRawBufferPointer) {
        let hashSlotNum = 1 + Int(parameter(input, at: 0, as: UInt16.self)) % 1024
        let indexNum = 2 + Int(parameter(input, at: 2, as: UInt16.self)) % 4096
        guard let layout = IndexFileLayout(hashSlotNum: hashSlotNum, indexNum: indexNum) else {
            violation("small layout rejected: \(hashSlotNum)/\(indexNum)")
        }
        let body = input.count > 4 ? UnsafeRawBufferPointer(rebasing: input[4...]) : UnsafeRawBufferPointer(start: nil, count: 0)
        if body.count != layout.fileSize {
            require((try? IndexFileView(bytes: body, layout: layout)) == nil, "view accepted a file of the wrong size")
        }
        if let inferred = IndexFileLayout.infer(fileSize: body.count) {
            require(inferred.fileSize == body.count, "inferred layout does not match the file size")
        }
        var file = [UInt8](repeating: 0, count: layout.fileSize)
        file.withUnsafeMutableBytes { raw in
            raw.copyMemory(from: UnsafeRawBufferPointer(rebasing: body.prefix(layout.fileSize)))
            checkIndexView(raw, layout: layout, allEntries: input.count % 4 == 0)
        }
    }

    static func checkIndexView(_ raw: UnsafeMutableRawBufferPointer, layout: IndexFileLayout, allEntries: Bool) {
        let view: IndexFileView
        do throws(FormatError) {
            view = try IndexFileView(bytes: UnsafeRawBufferPointer(raw), layout: layout)
        } catch {
            violation("view rejected a file of the right size: \(error)")
        }
        let header = view.header
        // `entries` decodes every entry in use (up to N = 4097): the full list for one input
        // length in four; otherwise the first 32 and the last one in use (the one next to the
        // end of the file, where a bounds mistake would show).
        var hashes: [Int32] = []
        let used = min(Int(header.effectiveIndexCount), layout.indexNum)
        if allEntries {
            hashes = view.entries.prefix(32).map(\.entry.keyHash)
        } else if used > 1 {
            for index in Set(Array(1..<min(used, 33)) + [used - 1]).sorted() {
                guard let entry = view.entry(index) else { violation("entry \(index) in use is out of the file") }
                if hashes.count < 32 { hashes.append(entry.keyHash) }
            }
        }
        let slots = view.nonEmptySlots
        // Query every hash that occurs (once: equal hashes walk the same chain), over the whole
        // time range and over the header's range.
        hashes.append(contentsOf: slots.prefix(32).map { Int32(truncatingIfNeeded: $0.slot) })
        hashes.append(contentsOf: [0, -1, Int32.max, Int32.min])
        var seen = Set<Int32>()
        for keyHash in hashes where seen.insert(keyHash).inserted {
            for (begin, end) in [(Int64.min, Int64.max), (header.beginTimestamp, header.endTimestamp), (0, 0)] {
                let (offsets, _) = view.queryOffsets(keyHash: keyHash, begin: begin, end: end, maxNum: 64)
                require(offsets.count <= 64, "queryOffsets returned more than maxNum")
                let all = IndexFileView.queryOffsets(in: [view, view], keyHash: keyHash, begin: begin, end: end, maxNum: 1000)
                require(all.count <= 64, "service query returned more than maxMsgsNumBatch")
            }
        }
        // putKey on whatever is there must not trap; when it succeeds, the new entry is the
        // head of its slot's chain, so a lookup finds it first.
        guard let writer = try? IndexFileWriter(bytes: raw, layout: layout) else {
            violation("writer rejected a file of the right size")
        }
        let keyHash = IndexKey.normalizedHash(header.hashSlotCount ^ Int32(truncatingIfNeeded: header.endPhyOffset))
        let timestamp = header.endTimestamp
        let phyOffset = Int64(0x0123_4567_89AB)
        if writer.putKey(keyHash: keyHash, phyOffset: phyOffset, storeTimestamp: timestamp) {
            let after = try! IndexFileView(bytes: UnsafeRawBufferPointer(raw), layout: layout)
            let newHeader = after.header
            require(newHeader.endPhyOffset == phyOffset && newHeader.endTimestamp == timestamp, "header not updated by putKey")
            if let slotValue = after.slotValue(layout.slot(forKeyHash: keyHash)), let entry = after.entry(Int(slotValue)) {
                require(entry.keyHash == keyHash && entry.phyOffset == phyOffset, "slot does not point at the new entry")
            } else {
                violation("slot of the new entry is empty or out of range")
            }
        }
    }
}
