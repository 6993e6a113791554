// Fuzz target FuzzCheckpoint: a `checkpoint` file (§9).

import RocketMQFormat

extension FuzzChecks {
    public static func checkCheckpoint(_ input: UnsafeRawBufferPointer) {
        let checkpoint: StoreCheckpoint
        do throws(FormatError) {
            checkpoint = try StoreCheckpoint(decoding: input)
        } catch {
            require(input.count < StoreCheckpoint.version4Size, "checkpoint with all three longs rejected: \(error)")
            return
        }
        _ = checkpoint.minTimestamp
        _ = checkpoint.minTimestampIndex
        _ = checkpoint.hasVersion5Fields
        // The longs that were there come back unchanged; the rest of the page is zero.
        let encoded = checkpoint.encoded()
        require(encoded.count == StoreCheckpoint.fileSize, "encoded checkpoint is not one page")
        let longs = min(5, input.count / 8)
        require(encoded[0..<(8 * longs)].elementsEqual(input[0..<(8 * longs)]), "checkpoint longs changed")
        require(encoded[(8 * longs)...].allSatisfy { $0 == 0 }, "absent checkpoint longs encoded as non-zero")
        let again = encoded.withUnsafeBytes { try? StoreCheckpoint(decoding: $0) }
        require(again == checkpoint, "decode(encode(checkpoint)) differs")
        var page = [UInt8](repeating: 0xEE, count: StoreCheckpoint.version5Size)
        page.withUnsafeMutableBytes { require(checkpoint.store(into: $0), "store into a 40-byte page failed") }
        require(page.elementsEqual(encoded.prefix(StoreCheckpoint.version5Size)), "store() and encoded() disagree")
    }
}
