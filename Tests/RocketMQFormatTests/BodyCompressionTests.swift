import CZlib
import Foundation
import RocketMQFormat
import TestSupport
import Testing

/// Compressors for round trips and bombs: zlib (linked), lz4 / zstd (loaded like the decoders).
enum Compressors {
    private typealias LZ4Bound = @convention(c) (Int, UnsafeRawPointer?) -> Int
    private typealias LZ4Compress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, UnsafeRawPointer?) -> Int
    private typealias ZstdBound = @convention(c) (Int) -> Int
    private typealias ZstdCompress = @convention(c) (UnsafeMutableRawPointer?, Int, UnsafeRawPointer?, Int, Int32) -> Int

    static func compress(_ bytes: [UInt8], _ type: CompressionType) -> [UInt8]? {
        switch type {
        case .zlibLegacy, .zlib:
            var length = compressBound(uLong(bytes.count))
            var out = [UInt8](repeating: 0, count: Int(length))
            let status = compress2(&out, &length, bytes, uLong(bytes.count), 6)
            guard status == Z_OK else { return nil }
            return Array(out[..<Int(length)])
        case .lz4:
            guard let library = DynamicLibrary(anyOf: ["liblz4.so.1"]),
                let bound = library.function("LZ4F_compressFrameBound", as: LZ4Bound.self),
                let compress = library.function("LZ4F_compressFrame", as: LZ4Compress.self)
            else { return nil }
            var out = [UInt8](repeating: 0, count: bound(bytes.count, nil))
            let capacity = out.count
            let written = out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in compress(dst.baseAddress, capacity, src.baseAddress, src.count, nil) }
            }
            guard written > 0, written <= capacity else { return nil }
            return Array(out[..<written])
        case .zstd:
            guard let library = DynamicLibrary(anyOf: ["libzstd.so.1"]),
                let bound = library.function("ZSTD_compressBound", as: ZstdBound.self),
                let compress = library.function("ZSTD_compress", as: ZstdCompress.self)
            else { return nil }
            var out = [UInt8](repeating: 0, count: bound(bytes.count))
            let capacity = out.count
            let written = out.withUnsafeMutableBytes { dst in
                bytes.withUnsafeBytes { src in compress(dst.baseAddress, capacity, src.baseAddress, src.count, 3) }
            }
            guard written > 0, written <= capacity else { return nil }
            return Array(out[..<written])
        }
    }

    /// A zlib stream of `count` zero bytes, deflated in pieces (no need to hold the input).
    static func zlibZeros(_ count: Int) -> [UInt8] {
        var stream = z_stream()
        _ = deflateInit_(&stream, 9, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        defer { deflateEnd(&stream) }
        var zeros = [UInt8](repeating: 0, count: 1 << 20)
        var out = [UInt8]()
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var left = count
        var finished = false
        while !finished {
            let piece = min(left, zeros.count)
            left -= piece
            let flush = left == 0 ? Z_FINISH : Z_NO_FLUSH
            zeros.withUnsafeMutableBufferPointer { input in
                stream.next_in = input.baseAddress
                stream.avail_in = uInt(piece)
                repeat {
                    chunk.withUnsafeMutableBufferPointer { output in
                        stream.next_out = output.baseAddress
                        stream.avail_out = uInt(output.count)
                        let status = deflate(&stream, flush)
                        if status == Z_STREAM_END { finished = true }
                        out.append(contentsOf: output[..<(output.count - Int(stream.avail_out))])
                    }
                } while stream.avail_out == 0 || (flush == Z_FINISH && !finished)
            }
        }
        return out
    }
}

@Suite struct BodyCompressionTests {
    // MARK: Type bits

    @Test func typeFromSysFlag() {
        #expect(CompressionType(sysFlag: 0x1) == .zlibLegacy)
        #expect(CompressionType(sysFlag: 0x301) == .zlib)
        #expect(CompressionType(sysFlag: 0x101) == .lz4)
        #expect(CompressionType(sysFlag: 0x231) == .zstd)
        #expect(CompressionType(sysFlag: 0x401) == nil)
        #expect(CompressionType(sysFlag: 0x701) == nil)
        let result = BodyCompression.decompress(UnsafeRawBufferPointer(start: nil, count: 0), sysFlag: 0x501)
        #expect(result.failure?.kind == .unknownType)
    }

    @Test func librariesPresentOnDevelopmentMachines() {
        for type in CompressionType.allCases { #expect(BodyCompression.isAvailable(type), "\(type)") }
    }

    // MARK: Fixture

    struct FixtureMessage {
        var filePos: Int
        var file: String
        var sysFlag: Int32
        var bodySha256: String
        var typeBits: Int
        var length: Int
        var sha256: String
    }

    static func fixtureMessages(_ scenario: String) throws -> [FixtureMessage] {
        let text = try String(contentsOfFile: Fixtures.expected(scenario, "messages.ndjson"), encoding: .utf8)
        var messages: [FixtureMessage] = []
        for line in text.split(separator: "\n") {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            guard object["type"] as? String == "msg", let body = object["decompressedBody"] as? [String: Any] else {
                continue
            }
            #expect(body["error"] == nil, "4.9.8 failed on a body at \(object["physicalOffset"] ?? "?")")
            messages.append(
                FixtureMessage(
                    filePos: try #require(object["filePos"] as? Int),
                    file: try #require(object["file"] as? String),
                    sysFlag: Int32(try #require(object["sysFlag"] as? Int)),
                    bodySha256: try #require(object["bodySha256"] as? String),
                    typeBits: try #require(body["compressionTypeBits"] as? Int),
                    length: try #require(body["len"] as? Int),
                    sha256: try #require(body["sha256"] as? String)))
        }
        return messages
    }

    /// The stored body of the record at `filePos`, with the minimal layout walk (FORMAT.md §1).
    static func storedBody(_ file: [UInt8], at position: Int, sysFlag: Int32) throws -> [UInt8] {
        let bornHost = sysFlag & 0x10 != 0 ? 20 : 8
        let storeHost = sysFlag & 0x20 != 0 ? 20 : 8
        let lengthOffset = position + 68 + bornHost + storeHost
        let length = try file.withUnsafeBytes { try #require($0.readBigEndian(Int32.self, at: lengthOffset)) }
        let start = lengthOffset + 4
        try #require(length >= 0 && start + Int(length) <= file.count)
        return Array(file[start..<start + Int(length)])
    }

    static func compressedFixtureBodies() throws -> [(FixtureMessage, [UInt8])] {
        let scenario = "rocketmq-4.9.8/ipv6_compressed_batch"
        var files: [String: [UInt8]] = [:]
        return try fixtureMessages(scenario).map { message in
            if files[message.file] == nil {
                let path = Fixtures.store(scenario) + "/commitlog/" + message.file
                files[message.file] = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            }
            return (message, try storedBody(files[message.file]!, at: message.filePos, sysFlag: message.sysFlag))
        }
    }

    @Test func fixtureBodiesDecompressLikeRocketMQ498() throws {
        let bodies = try Self.compressedFixtureBodies()
        var perType: [Int: Int] = [:]
        for (message, body) in bodies {
            #expect(SHA256.hexDigest(body) == message.bodySha256, "body at \(message.file)+\(message.filePos)")
            let type = try #require(CompressionType(sysFlag: message.sysFlag))
            #expect(type.rawValue == message.typeBits)
            switch BodyCompression.decompress(body, type: type) {
            case .success(let plain):
                #expect(plain.count == message.length, "\(type) at \(message.file)+\(message.filePos)")
                #expect(SHA256.hexDigest(plain) == message.sha256, "\(type) at \(message.file)+\(message.filePos)")
                #expect(SHA256.hexDigest(plain, using: .portable) == message.sha256)
                perType[type.rawValue, default: 0] += 1
            case .failure(let error):
                Issue.record("\(type) at \(message.file)+\(message.filePos): \(error)")
            }
        }
        // 28 legacy zlib, 4 LZ4, 7 zstd, 111 zlib in this fixture.
        #expect(perType == [0: 28, 1: 4, 2: 7, 3: 111])
    }

    // MARK: Round trips

    @Test(arguments: CompressionType.allCases)
    func roundTrip(type: CompressionType) throws {
        var random = SplitMix64(seed: UInt64(type.rawValue) + 99)
        for length in [1, 2, 100, 4096, 65_535, 65_536, 65_537, 300_000] {
            // Half random, half repetitive, so both literal and match paths are used.
            var plain = random.bytes(length / 2)
            plain += [UInt8](repeating: UInt8(length & 0xFF), count: length - plain.count)
            let compressed = try #require(Compressors.compress(plain, type))
            #expect(try BodyCompression.decompress(compressed, type: type).get() == plain, "length \(length)")
            // Exactly the cap is allowed; one byte less is not.
            #expect(try BodyCompression.decompress(compressed, type: type, maxOutput: length).get() == plain)
            #expect(
                BodyCompression.decompress(compressed, type: type, maxOutput: length - 1).failure?.kind
                    == .outputLimitExceeded)
        }
    }

    @Test func emptyBodyIsEmpty() throws {
        for type in CompressionType.allCases {
            #expect(try BodyCompression.decompress([], type: type).get() == [])
        }
    }

    @Test func zlibIgnoresBytesAfterTheStream() throws {
        // InflaterInputStream stops at the end of the zlib stream.
        let plain = Array("hello, rocketmq".utf8)
        let compressed = try #require(Compressors.compress(plain, .zlib))
        #expect(try BodyCompression.decompress(compressed + [1, 2, 3], type: .zlib).get() == plain)
    }

    @Test(arguments: [CompressionType.lz4, .zstd])
    func concatenatedFramesAndTrailingGarbage(type: CompressionType) throws {
        let a = Array("first frame ".utf8), b = Array("second frame".utf8)
        let frames = try #require(Compressors.compress(a, type)) + (try #require(Compressors.compress(b, type)))
        #expect(try BodyCompression.decompress(frames, type: type).get() == a + b)
        let garbage = BodyCompression.decompress(frames + [0x11, 0x22, 0x33, 0x44, 0x55], type: type)
        #expect(garbage.failure != nil)
    }

    // MARK: Bad input

    @Test(arguments: CompressionType.allCases)
    func garbageNeverTraps(type: CompressionType) {
        var random = SplitMix64(seed: 0xBAD0 + UInt64(type.rawValue))
        var failures = 0
        for length in Array(1...300) + [1000, 4096, 70_000] {
            let garbage = random.bytes(length)
            if case .failure(let error) = BodyCompression.decompress(garbage, type: type, maxOutput: 1 << 20) {
                failures += 1
                #expect(!error.message.isEmpty && error.message.count < 100)
            }
        }
        // Random bytes almost never form a valid stream (zlib: 1 in 32 headers pass their check).
        #expect(failures >= 290)
        // Known-bad starts.
        #expect(BodyCompression.decompress([0x78, 0x9C, 0xFF, 0xFF, 0xFF], type: type).failure != nil)
        #expect(BodyCompression.decompress([0x00], type: type).failure != nil)
    }

    @Test func truncatedBodiesFail() throws {
        let bodies = try Self.compressedFixtureBodies()
        var seenTypes = Set<Int>()
        for (message, body) in bodies {
            let type = try #require(CompressionType(sysFlag: message.sysFlag))
            guard seenTypes.insert(type.rawValue).inserted || type == .lz4 else { continue }
            // Every prefix near the ends, and a stride through the middle.
            let cuts = Set(Array(1..<min(64, body.count)) + Array(stride(from: 0, to: body.count, by: 97))
                + Array(max(1, body.count - 64)..<body.count))
            for cut in cuts.sorted() where cut > 0 {
                let result = BodyCompression.decompress(Array(body[..<cut]), type: type)
                #expect(result.failure != nil, "\(type) cut at \(cut) of \(body.count)")
            }
        }
        #expect(seenTypes == [0, 1, 2, 3])
    }

    @Test func flippedBytesNeverTrap() throws {
        let bodies = try Self.compressedFixtureBodies()
        var random = SplitMix64(seed: 42)
        for (message, body) in bodies.prefix(60) {
            let type = try #require(CompressionType(sysFlag: message.sysFlag))
            for _ in 0..<20 {
                var damaged = body
                let index = Int(random.next() % UInt64(damaged.count))
                damaged[index] ^= UInt8(truncatingIfNeeded: random.next() | 1)
                _ = BodyCompression.decompress(damaged, type: type, maxOutput: 1 << 20)
            }
        }
    }

    @Test func libraryUnavailableErrorIsReadable() {
        let error = DecompressionError(.libraryUnavailable, "lz4: codec library not available (liblz4.so.1)")
        #expect(error.description.contains("not available"))
    }

    // MARK: Bombs

    @Test(arguments: CompressionType.allCases)
    func bombIsCapped(type: CompressionType) throws {
        let size = 32 << 20
        let compressed: [UInt8]
        if type == .zlib || type == .zlibLegacy {
            compressed = Compressors.zlibZeros(size)
        } else {
            compressed = try #require(Compressors.compress([UInt8](repeating: 0, count: size), type))
        }
        #expect(compressed.count < size / 100)
        let result = BodyCompression.decompress(compressed, type: type, maxOutput: 1 << 20)
        #expect(result.failure?.kind == .outputLimitExceeded)
        #expect(result.failure?.message.contains("exceeds") == true)
    }

    @Test func defaultCapStopsAZlibBomb() {
        // 300 MiB of zeros in ~300 KB: stops at the default 256 MiB cap instead of inflating it all.
        let bomb = Compressors.zlibZeros(300 << 20)
        #expect(bomb.count < 1 << 20)
        let result = BodyCompression.decompress(bomb, type: .zlib)
        #expect(result.failure?.kind == .outputLimitExceeded)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
