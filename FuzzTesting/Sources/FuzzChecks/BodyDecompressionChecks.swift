// Fuzz target FuzzBodyDecompression: compressed bodies (sysFlag bits 8–10). The first byte picks
// the compression type, the second the output cap; the rest is the body.

import RocketMQFormat

extension FuzzChecks {
    public static func checkBodyDecompression(_ input: UnsafeRawBufferPointer) {
        guard input.count >= 2 else { return }
        let types = CompressionType.allCases
        let type = types[Int(input[0]) % types.count]
        let maxOutput = Int(input[1]) << 12
        let body = UnsafeRawBufferPointer(rebasing: input[2...])
        switch BodyCompression.decompress(body, type: type, maxOutput: maxOutput) {
        case .success(let plain):
            require(plain.count <= maxOutput || body.isEmpty, "decompressed past maxOutput")
        case .failure(let error):
            _ = error.description
        }
        // The sysFlag path picks the same decoder.
        let sysFlag = Int32(input[0] & 0x07) << 8 | MessageSysFlag.compressed.rawValue
        _ = BodyCompression.decompress(body, sysFlag: sysFlag, maxOutput: maxOutput)
    }
}
