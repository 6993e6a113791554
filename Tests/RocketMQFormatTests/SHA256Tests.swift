import RocketMQFormat
import TestSupport
import Testing

@Suite struct SHA256Tests {
    static let vectors: [(String, String)] = [
        ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
            "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
        ),
    ]

    @Test(arguments: SHA256.Implementation.allCases)
    func standardVectors(implementation: SHA256.Implementation) {
        for (text, expected) in Self.vectors {
            #expect(SHA256.hexDigest(Array(text.utf8), using: implementation) == expected, "\(text)")
        }
    }

    @Test(arguments: SHA256.Implementation.allCases)
    func millionA(implementation: SHA256.Implementation) {
        let bytes = [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000)
        #expect(
            SHA256.hexDigest(bytes, using: implementation)
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func libcryptoIsUsedWhenPresent() {
        // The development machines have libcrypto.so.3; the default must then be the fast path.
        #expect(SHA256.implementation == (SHA256.isLibcryptoAvailable ? .libcrypto : .portable))
    }

    @Test func digestAndHexAgree() {
        var random = SplitMix64(seed: 7)
        let bytes = random.bytes(1000)
        let digest = SHA256.digest(bytes)
        #expect(digest.count == 32)
        let hex = digest.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        #expect(SHA256.hexDigest(bytes) == hex)
        #expect(SHA256.hexDigest(bytes).utf8.count == 64)
    }

    @Test func portableMatchesLibcrypto() throws {
        try #require(SHA256.isLibcryptoAvailable, "libcrypto not available: nothing to compare")
        var random = SplitMix64(seed: 0x5A5A_1234)
        var lengths = Array(0...300)
        lengths += [511, 512, 1023, 1024, 4096, 65_535, 65_536, 100_003, 1 << 20, (1 << 20) + 55]
        for length in lengths {
            // An odd start offset checks unaligned input too.
            let buffer = random.bytes(length + 1)
            buffer.withUnsafeBytes { raw in
                let bytes = UnsafeRawBufferPointer(rebasing: raw[1...])
                let portable = SHA256.digest(bytes, using: .portable)
                let libcrypto = SHA256.digest(bytes, using: .libcrypto)
                #expect(portable == libcrypto, "length \(length)")
                #expect(
                    SHA256.hexDigest(bytes, using: .portable) == SHA256.hexDigest(bytes, using: .libcrypto),
                    "length \(length)")
            }
        }
    }

    @Test func emptyBufferWithoutBaseAddress() {
        let empty = UnsafeRawBufferPointer(start: nil, count: 0)
        for implementation in SHA256.Implementation.allCases {
            #expect(
                SHA256.hexDigest(empty, using: implementation)
                    == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        }
    }

    @Test func incrementalMatchesOneShot() {
        var random = SplitMix64(seed: 0x77AA_0301)
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 1000, 4096 + 17, 100_003] {
            let bytes = random.bytes(length)
            let expected = SHA256.hexDigest(bytes, using: .portable)
            for implementation in SHA256.Implementation.allCases {
                // Feed in uneven pieces (1, 2, 3, ... bytes) so every buffering path is taken.
                var hasher = SHA256.Hasher(using: implementation)
                var offset = 0
                var piece = 1
                while offset < length {
                    let end = min(length, offset + piece)
                    bytes[offset..<end].withUnsafeBytes { hasher.update($0) }
                    offset = end
                    piece = piece % 97 + 1
                }
                #expect(hasher.finalizeHex() == expected, "length \(length), \(implementation)")
            }
        }
    }
}
