// LZ4 and zstd decoders reuse one spare context between calls (SpareCodecContext): whatever
// state a call leaves it in (mid-frame after a truncated body, an error, the output limit), the
// next call must decode from scratch, and concurrent calls must never share a context.

import RocketMQFormat
import Testing

@Suite struct SpareCodecContextTests {
    static let plains: [[UInt8]] = (0..<4).map { n in
        (0..<(1000 + 3000 * n)).map { UInt8(truncatingIfNeeded: $0 &* (n + 7) >> 3) }
    }

    @Test(arguments: [CompressionType.lz4, .zstd])
    func stateLeftByAFailedCallDoesNotLeak(type: CompressionType) throws {
        let plain = Self.plains[3]
        let frame = try #require(Compressors.compress(plain, type))
        for _ in 0..<3 {
            // Cut mid-frame: the context stops half way through a block.
            #expect(BodyCompression.decompress(Array(frame[..<(frame.count / 2)]), type: type).failure != nil)
            #expect(try BodyCompression.decompress(frame, type: type).get() == plain)
            // Over the output limit: stopped with output pending.
            #expect(BodyCompression.decompress(frame, type: type, maxOutput: 100).failure != nil)
            #expect(try BodyCompression.decompress(frame, type: type).get() == plain)
            // A corrupt frame: the decoder reports an error.
            var corrupt = frame
            corrupt[corrupt.count / 2] ^= 0xFF
            corrupt[4] ^= 0x55
            _ = BodyCompression.decompress(corrupt, type: type)
            #expect(try BodyCompression.decompress(frame, type: type).get() == plain)
            // A frame that is only a prefix of another one's header.
            #expect(BodyCompression.decompress(Array(frame[..<5]), type: type).failure != nil)
            #expect(try BodyCompression.decompress(Array(frame), type: type).get() == plain)
        }
    }

    @Test(arguments: [CompressionType.lz4, .zstd])
    func concurrentCallsDecodeTheirOwnBodies(type: CompressionType) async throws {
        let frames = try Self.plains.map { try #require(Compressors.compress($0, type)) }
        let mismatches = await withTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var mismatches = 0
                    for round in 0..<200 {
                        let n = (task + round) % frames.count
                        let decoded = try? BodyCompression.decompress(frames[n], type: type).get()
                        if decoded != Self.plains[n] { mismatches += 1 }
                    }
                    return mismatches
                }
            }
            return await group.reduce(0, +)
        }
        #expect(mismatches == 0)
    }
}
