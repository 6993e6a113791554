// `ContentDigest.of(path)` of a file whose bytes go by once, in order, without knowing ahead
// where its data ends: SHA-256 of the bytes up to the last non-zero one, then `:end:size`
// when zeros follow. A run of zeros is only counted; it is fed to SHA-256 when a non-zero byte
// follows it, and dropped at the end. Used where a file is read anyway (a copy) so that its
// digest costs no second read.

import RocketMQFormat

struct StreamedFileDigest {
    private var hasher = SHA256.Hasher()
    /// Bytes seen, and the zeros among the last of them not yet fed.
    private var seen: Int64 = 0
    private var pendingZeros: Int64 = 0

    /// The next `bytes` of the file.
    mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        let end = bytes.nonZeroEnd
        seen += Int64(bytes.count)
        guard end > 0 else {
            pendingZeros += Int64(bytes.count)
            return
        }
        hasher.updateWithZeros(pendingZeros)
        hasher.update(UnsafeRawBufferPointer(rebasing: bytes[0..<end]))
        pendingZeros = Int64(bytes.count - end)
    }

    /// The next `count` bytes of the file are zeros (a hole: not read).
    mutating func skipZeros(_ count: Int64) {
        seen += count
        pendingZeros += count
    }

    /// `ContentDigest.of` for a file of `size` bytes (those not seen are zeros).
    mutating func finalize(size: Int64) -> String {
        let end = seen - pendingZeros
        return ContentDigest.format(hasher.finalizeHex(), from: 0, end: end, size: max(size, end))
    }
}
