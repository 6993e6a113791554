// SHA-256 (FIPS 180-4), for `bodySha256` / `decompressedBody.sha256` in dumps.
//
// When libcrypto (OpenSSL 3, or 1.1) can be loaded at run time it is used (SHA256_Init/Update/
// Final, or the one-shot `SHA256()` if those are gone): it uses the CPU's SHA extensions where
// present and is several times faster. Should a libcrypto call fail, the portable code answers. Otherwise, and
// always when asked for `.portable`, a pure-Swift implementation computes the same digest.
//
// `hexDigest` is on the dump hot path: the digest lives in a stack buffer and the hex text is
// written straight into the String's storage (one allocation per call).

public enum SHA256 {
    public enum Implementation: String, Sendable, CaseIterable {
        case portable
        case libcrypto
    }

    /// Digest size in bytes.
    public static let digestByteCount = 32

    private typealias OneShotFunction = @convention(c) (
        UnsafePointer<UInt8>?, Int, UnsafeMutablePointer<UInt8>?
    ) -> UnsafeMutablePointer<UInt8>?

    // SHA256_Init / SHA256_Update / SHA256_Final on a stack SHA256_CTX (112 bytes). Deprecated in
    // OpenSSL 3 but exported, and ~40% faster than the one-shot on 1 KiB (no EVP fetch per call).
    private typealias InitFunction = @convention(c) (UnsafeMutableRawPointer?) -> Int32
    private typealias UpdateFunction = @convention(c) (UnsafeMutableRawPointer?, UnsafeRawPointer?, Int) -> Int32
    private typealias FinalFunction = @convention(c) (UnsafeMutablePointer<UInt8>?, UnsafeMutableRawPointer?) -> Int32

    private struct Libcrypto: @unchecked Sendable {
        let oneShot: OneShotFunction
        let lowLevel: (InitFunction, UpdateFunction, FinalFunction)?
    }

    private static let libcrypto: Libcrypto? = {
        guard let library = DynamicLibrary(anyOf: ["libcrypto.so.3", "libcrypto.so.1.1", "libcrypto.dylib"]),
            let oneShot = library.function("SHA256", as: OneShotFunction.self)
        else { return nil }
        var lowLevel: (InitFunction, UpdateFunction, FinalFunction)?
        if let initialize = library.function("SHA256_Init", as: InitFunction.self),
            let update = library.function("SHA256_Update", as: UpdateFunction.self),
            let final = library.function("SHA256_Final", as: FinalFunction.self)
        {
            lowLevel = (initialize, update, final)
        }
        return Libcrypto(oneShot: oneShot, lowLevel: lowLevel)
    }()

    /// True when libcrypto was found and is used.
    public static var isLibcryptoAvailable: Bool { libcrypto != nil }

    /// Which implementation `digest` / `hexDigest` use on this machine.
    public static var implementation: Implementation { libcrypto == nil ? .portable : .libcrypto }

    // MARK: Public API

    /// The 32-byte digest of `bytes`.
    public static func digest(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        digest(bytes, using: implementation)
    }

    /// The 32-byte digest with a chosen implementation (`.libcrypto` falls back to `.portable`
    /// when the library is not available).
    public static func digest(_ bytes: UnsafeRawBufferPointer, using implementation: Implementation) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: digestByteCount) { buffer, initialized in
            compute(bytes, into: buffer.baseAddress!, using: implementation)
            initialized = digestByteCount
        }
    }

    /// Writes the 32-byte digest of `bytes` to `out` (for hot paths: nothing is allocated).
    public static func digest(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) {
        compute(bytes, into: out, using: implementation)
    }

    public static func digest(_ bytes: [UInt8], using implementation: Implementation? = nil) -> [UInt8] {
        bytes.withUnsafeBytes { digest($0, using: implementation ?? self.implementation) }
    }

    /// The digest as 64 lowercase hex characters.
    public static func hexDigest(_ bytes: UnsafeRawBufferPointer) -> String {
        hexDigest(bytes, using: implementation)
    }

    /// The digest as 64 lowercase hex characters, with a chosen implementation.
    public static func hexDigest(_ bytes: UnsafeRawBufferPointer, using implementation: Implementation) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: digestByteCount) { digest in
            let digest = digest.baseAddress!
            compute(bytes, into: digest, using: implementation)
            return String(unsafeUninitializedCapacity: 2 * digestByteCount) { text in
                let out = text.baseAddress!
                for i in 0..<digestByteCount {
                    let byte = digest[i]
                    out[2 &* i] = hexDigit(byte &>> 4)
                    out[2 &* i &+ 1] = hexDigit(byte & 0x0F)
                }
                return 2 * digestByteCount
            }
        }
    }

    public static func hexDigest(_ bytes: [UInt8], using implementation: Implementation? = nil) -> String {
        bytes.withUnsafeBytes { hexDigest($0, using: implementation ?? self.implementation) }
    }

    // MARK: Dispatch

    @inline(__always)
    private static func hexDigit(_ nibble: UInt8) -> UInt8 {
        nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble  // '0'... / 'a' - 10 ...
    }

    /// Writes the 32-byte digest of `bytes` to `out`.
    private static func compute(
        _ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>, using implementation: Implementation
    ) {
        if implementation == .libcrypto, let libcrypto {
            if let (initialize, update, final) = libcrypto.lowLevel {
                let done = withUnsafeTemporaryAllocation(byteCount: 256, alignment: 16) { context in
                    initialize(context.baseAddress) == 1
                        && (bytes.count == 0 || update(context.baseAddress, bytes.baseAddress, bytes.count) == 1)
                        && final(out, context.baseAddress) == 1
                }
                if done { return }
            } else if let base = bytes.baseAddress, bytes.count > 0 {
                if libcrypto.oneShot(base.assumingMemoryBound(to: UInt8.self), bytes.count, out) != nil { return }
            } else {
                var empty: UInt8 = 0
                if libcrypto.oneShot(&empty, 0, out) != nil { return }
            }
        }
        portableDigest(bytes, into: out)
    }

    // MARK: Portable implementation

    private static let roundConstants: [UInt32] = [
        0x428a_2f98, 0x7137_4491, 0xb5c0_fbcf, 0xe9b5_dba5, 0x3956_c25b, 0x59f1_11f1, 0x923f_82a4, 0xab1c_5ed5,
        0xd807_aa98, 0x1283_5b01, 0x2431_85be, 0x550c_7dc3, 0x72be_5d74, 0x80de_b1fe, 0x9bdc_06a7, 0xc19b_f174,
        0xe49b_69c1, 0xefbe_4786, 0x0fc1_9dc6, 0x240c_a1cc, 0x2de9_2c6f, 0x4a74_84aa, 0x5cb0_a9dc, 0x76f9_88da,
        0x983e_5152, 0xa831_c66d, 0xb003_27c8, 0xbf59_7fc7, 0xc6e0_0bf3, 0xd5a7_9147, 0x06ca_6351, 0x1429_2967,
        0x27b7_0a85, 0x2e1b_2138, 0x4d2c_6dfc, 0x5338_0d13, 0x650a_7354, 0x766a_0abb, 0x81c2_c92e, 0x9272_2c85,
        0xa2bf_e8a1, 0xa81a_664b, 0xc24b_8b70, 0xc76c_51a3, 0xd192_e819, 0xd699_0624, 0xf40e_3585, 0x106a_a070,
        0x19a4_c116, 0x1e37_6c08, 0x2748_774c, 0x34b0_bcb5, 0x391c_0cb3, 0x4ed8_aa4a, 0x5b9c_ca4f, 0x682e_6ff3,
        0x748f_82ee, 0x78a5_636f, 0x84c8_7814, 0x8cc7_0208, 0x90be_fffa, 0xa450_6ceb, 0xbef9_a3f7, 0xc671_78f2,
    ]

    private struct State {
        var h0: UInt32 = 0x6a09_e667, h1: UInt32 = 0xbb67_ae85, h2: UInt32 = 0x3c6e_f372, h3: UInt32 = 0xa54f_f53a
        var h4: UInt32 = 0x510e_527f, h5: UInt32 = 0x9b05_688c, h6: UInt32 = 0x1f83_d9ab, h7: UInt32 = 0x5be0_cd19

        /// Processes `blockCount` 64-byte blocks starting at `block`.
        mutating func compress(
            _ block: UnsafeRawPointer, blockCount: Int,
            constants k: UnsafePointer<UInt32>, schedule w: UnsafeMutablePointer<UInt32>
        ) {
            var block = block
            for _ in 0..<blockCount {
                for t in 0..<16 {
                    w[t] = UInt32(bigEndian: block.loadUnaligned(fromByteOffset: t &* 4, as: UInt32.self))
                }
                for t in 16..<64 {
                    let x = w[t &- 15], y = w[t &- 2]
                    let s0 = x.rotateRight(7) ^ x.rotateRight(18) ^ (x &>> 3)
                    let s1 = y.rotateRight(17) ^ y.rotateRight(19) ^ (y &>> 10)
                    w[t] = w[t &- 16] &+ s0 &+ w[t &- 7] &+ s1
                }
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                for t in 0..<64 {
                    let s1 = e.rotateRight(6) ^ e.rotateRight(11) ^ e.rotateRight(25)
                    let ch = (e & f) ^ (~e & g)
                    let t1 = h &+ s1 &+ ch &+ k[t] &+ w[t]
                    let s0 = a.rotateRight(2) ^ a.rotateRight(13) ^ a.rotateRight(22)
                    let maj = (a & b) ^ (a & c) ^ (b & c)
                    let t2 = s0 &+ maj
                    h = g; g = f; f = e; e = d &+ t1
                    d = c; c = b; b = a; a = t1 &+ t2
                }
                h0 = h0 &+ a; h1 = h1 &+ b; h2 = h2 &+ c; h3 = h3 &+ d
                h4 = h4 &+ e; h5 = h5 &+ f; h6 = h6 &+ g; h7 = h7 &+ h
                block += 64
            }
        }
    }

    private static func portableDigest(_ bytes: UnsafeRawBufferPointer, into out: UnsafeMutablePointer<UInt8>) {
        var state = State()
        let count = bytes.count
        let fullBlocks = count / 64
        roundConstants.withUnsafeBufferPointer { k in
            // One scratch area: 64 schedule words, then 128 bytes for the padded tail.
            withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64 + 32) { scratch in
                let w = scratch.baseAddress!
                if fullBlocks > 0, let base = bytes.baseAddress {
                    state.compress(base, blockCount: fullBlocks, constants: k.baseAddress!, schedule: w)
                }
                let tail = UnsafeMutableRawPointer(w + 64)
                tail.initializeMemory(as: UInt8.self, repeating: 0, count: 128)
                let rest = count &- fullBlocks &* 64
                if rest > 0, let base = bytes.baseAddress {
                    tail.copyMemory(from: base + fullBlocks &* 64, byteCount: rest)
                }
                tail.storeBytes(of: 0x80, toByteOffset: rest, as: UInt8.self)
                let tailBlocks = rest + 9 <= 64 ? 1 : 2
                let bitLength = UInt64(truncatingIfNeeded: count) &<< 3
                tail.storeBytes(of: bitLength.bigEndian, toByteOffset: tailBlocks * 64 - 8, as: UInt64.self)
                state.compress(UnsafeRawPointer(tail), blockCount: tailBlocks, constants: k.baseAddress!, schedule: w)
            }
        }
        let raw = UnsafeMutableRawPointer(out)
        raw.storeBytes(of: state.h0.bigEndian, toByteOffset: 0, as: UInt32.self)
        raw.storeBytes(of: state.h1.bigEndian, toByteOffset: 4, as: UInt32.self)
        raw.storeBytes(of: state.h2.bigEndian, toByteOffset: 8, as: UInt32.self)
        raw.storeBytes(of: state.h3.bigEndian, toByteOffset: 12, as: UInt32.self)
        raw.storeBytes(of: state.h4.bigEndian, toByteOffset: 16, as: UInt32.self)
        raw.storeBytes(of: state.h5.bigEndian, toByteOffset: 20, as: UInt32.self)
        raw.storeBytes(of: state.h6.bigEndian, toByteOffset: 24, as: UInt32.self)
        raw.storeBytes(of: state.h7.bigEndian, toByteOffset: 28, as: UInt32.self)
    }
}

extension UInt32 {
    @inline(__always)
    fileprivate func rotateRight(_ n: UInt32) -> UInt32 { (self &>> n) | (self &<< (32 &- n)) }
}

extension SHA256 {
    /// Incremental SHA-256 (for digests of file ranges fed piece by piece, and of bytes as
    /// they are written). libcrypto's SHA256_Init/Update/Final when present, else the portable
    /// compression function with a one-block buffer.
    public struct Hasher {
        private var context: UnsafeMutableRawPointer?  // libcrypto SHA256_CTX (freed by finalize)
        private var state = State()
        private var buffer = [UInt8](repeating: 0, count: 64)
        private var buffered = 0
        private var total: UInt64 = 0

        public init(using implementation: Implementation = SHA256.implementation) {
            if implementation == .libcrypto, let libcrypto, let (initialize, _, _) = libcrypto.lowLevel {
                let context = UnsafeMutableRawPointer.allocate(byteCount: 256, alignment: 16)
                if initialize(context) == 1 { self.context = context } else { context.deallocate() }
            }
        }

        public mutating func update(_ bytes: UnsafeRawBufferPointer) {
            guard bytes.count > 0, let base = bytes.baseAddress else { return }
            if let context, let (_, update, _) = libcrypto?.lowLevel {
                _ = update(context, base, bytes.count)
                return
            }
            total &+= UInt64(bytes.count)
            var offset = 0
            roundConstants.withUnsafeBufferPointer { k in
                withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 64) { w in
                    if buffered > 0 {
                        let take = Swift.min(64 - buffered, bytes.count)
                        buffer.withUnsafeMutableBytes { (b: UnsafeMutableRawBufferPointer) in
                            (b.baseAddress! + buffered).copyMemory(from: base, byteCount: take)
                        }
                        buffered += take
                        offset = take
                        if buffered == 64 {
                            buffer.withUnsafeBytes { b in
                                state.compress(b.baseAddress!, blockCount: 1, constants: k.baseAddress!, schedule: w.baseAddress!)
                            }
                            buffered = 0
                        }
                    }
                    let blocks = (bytes.count - offset) / 64
                    if blocks > 0 {
                        state.compress(base + offset, blockCount: blocks, constants: k.baseAddress!, schedule: w.baseAddress!)
                        offset += blocks * 64
                    }
                }
            }
            let rest = bytes.count - offset
            if rest > 0 {
                buffer.withUnsafeMutableBytes { b in (b.baseAddress! + buffered).copyMemory(from: base + offset, byteCount: rest) }
                buffered += rest
            }
        }

        public mutating func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

        /// The digest as 64 lowercase hex characters; the hasher must not be used afterwards.
        public mutating func finalizeHex() -> String {
            var digest = [UInt8](repeating: 0, count: digestByteCount)
            if let context, let (_, _, final) = libcrypto?.lowLevel {
                _ = final(&digest, context)
                context.deallocate()
                self.context = nil
            } else {
                // Padding: 0x80, zeros, then the bit length, through the same update path.
                let bitLength = total &<< 3
                var pad = [UInt8](repeating: 0, count: (buffered < 56 ? 56 : 120) - buffered)
                pad[0] = 0x80
                update(pad)
                update(withUnsafeBytes(of: bitLength.bigEndian) { Array($0) })
                let s = state
                for (i, word) in [s.h0, s.h1, s.h2, s.h3, s.h4, s.h5, s.h6, s.h7].enumerated() {
                    for j in 0..<4 { digest[i * 4 + j] = UInt8(truncatingIfNeeded: word >> (24 - 8 * UInt32(j))) }
                }
            }
            return String(decoding: digest.flatMap { [hexDigit($0 >> 4), hexDigit($0 & 0x0F)] }, as: UTF8.self)
        }
    }
}
