// Compressed message bodies (FORMAT.md §3): SYSFLAG bit 0x1 says the body is compressed and bits
// 8–10 say how. Decoding follows Apache RocketMQ 4.9.8's `MessageDecoder` (decompressBody):
//
// * 0 (legacy, older producers that only set COMPRESSED) and 3: zlib stream (RFC 1950), read
//   with `java.util.zip.InflaterInputStream`. It stops at the end of the zlib stream (bytes after
//   it are ignored), checks the Adler-32 trailer, and fails on a truncated stream.
// * 1: LZ4 frame format (lz4-java `LZ4FrameInputStream`: frames are read until the input ends).
// * 2: zstd frames (zstd-jni `ZstdInputStream`: frames are read until the input ends).
//
// zlib is always linked (CZlib); liblz4 and libzstd are loaded at run time (`BodyCodecLibraries`)
// and their absence is reported as an error for those bodies only. Output is capped by
// `maxOutput` so that a zip bomb costs at most that much memory. No input can trap or loop.

import CZlib

/// The compression algorithm of a body, from SYSFLAG bits 8–10.
public enum CompressionType: Int, Sendable, CaseIterable, CustomStringConvertible {
    /// Bits 0: producers that set only COMPRESSED_FLAG; the body is zlib.
    case zlibLegacy = 0
    case lz4 = 1
    case zstd = 2
    case zlib = 3

    /// `(sysFlag & 0x700) >> 8`, or nil for the unassigned values 4–7.
    public init?(sysFlag: Int32) {
        self.init(rawValue: Int((sysFlag & 0x700) >> 8))
    }

    public var description: String {
        switch self {
        case .zlibLegacy, .zlib: "zlib"
        case .lz4: "lz4"
        case .zstd: "zstd"
        }
    }
}

public struct DecompressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// SYSFLAG bits 8–10 hold a value with no algorithm (4–7).
        case unknownType
        /// liblz4 / libzstd could not be loaded.
        case libraryUnavailable
        /// The input is not a valid stream of this format (bad header, data, checksum...).
        case corrupt
        /// The input ended before the stream did.
        case truncated
        /// More than `maxOutput` bytes would be produced.
        case outputLimitExceeded
    }

    public var kind: Kind
    /// Short human-readable text, e.g. `zlib: incorrect header check`.
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

public enum BodyCompression {
    /// Default cap on the decompressed size (bodies are at most 4 MiB compressed).
    public static let defaultMaxOutput = 256 << 20

    /// Decompresses a body stored with `sysFlag` (bits 8–10 choose the algorithm).
    public static func decompress(
        _ body: UnsafeRawBufferPointer, sysFlag: Int32, maxOutput: Int = defaultMaxOutput
    ) -> Result<[UInt8], DecompressionError> {
        guard let type = CompressionType(sysFlag: sysFlag) else {
            return .failure(DecompressionError(.unknownType, "unknown compression type \((sysFlag & 0x700) >> 8)"))
        }
        return decompress(body, type: type, maxOutput: maxOutput)
    }

    /// Decompresses `body` as `type`, producing at most `maxOutput` bytes.
    ///
    /// An empty body decompresses to an empty body, as in 4.9.8 (its decompressors read into a
    /// buffer of the compressed length, and a zero-length read returns at once).
    public static func decompress(
        _ body: UnsafeRawBufferPointer, type: CompressionType, maxOutput: Int = defaultMaxOutput
    ) -> Result<[UInt8], DecompressionError> {
        if body.count == 0 { return .success([]) }
        let limit = max(maxOutput, 0)
        switch type {
        case .zlibLegacy, .zlib: return inflateZlib(body, maxOutput: limit)
        case .lz4: return BodyCodecLibraries.decompressLZ4(body, maxOutput: limit)
        case .zstd: return BodyCodecLibraries.decompressZstd(body, maxOutput: limit)
        }
    }

    public static func decompress(
        _ body: [UInt8], type: CompressionType, maxOutput: Int = defaultMaxOutput
    ) -> Result<[UInt8], DecompressionError> {
        body.withUnsafeBytes { decompress($0, type: type, maxOutput: maxOutput) }
    }

    /// Whether bodies of `type` can be decoded on this machine (LZ4 and zstd need their library).
    public static func isAvailable(_ type: CompressionType) -> Bool {
        switch type {
        case .zlibLegacy, .zlib: true
        case .lz4: BodyCodecLibraries.lz4 != nil
        case .zstd: BodyCodecLibraries.zstd != nil
        }
    }

    // MARK: zlib

    /// Size of the stack chunk that codecs decode into before appending to the result.
    static let chunkSize = 64 << 10

    /// The first capacity reserved for the result: a guess from the compressed size.
    static func initialCapacity(compressed: Int, maxOutput: Int) -> Int {
        let guess = compressed > (Int.max / 8) ? Int.max : max(compressed * 4, 256)
        return min(guess, maxOutput, chunkSize * 16)
    }

    static func limitError(_ codec: String, _ maxOutput: Int) -> DecompressionError {
        DecompressionError(.outputLimitExceeded, "\(codec): decompressed size exceeds \(maxOutput) bytes")
    }

    private static func inflateZlib(_ body: UnsafeRawBufferPointer, maxOutput: Int) -> Result<[UInt8], DecompressionError> {
        var stream = z_stream()
        let initStatus = inflateInit_(&stream, zlibVersion(), Int32(MemoryLayout<z_stream>.size))
        guard initStatus == Z_OK else {
            return .failure(DecompressionError(.corrupt, "zlib: inflateInit failed (\(initStatus))"))
        }
        defer { inflateEnd(&stream) }

        let input = body.baseAddress!.assumingMemoryBound(to: UInt8.self)
        var consumed = 0
        var output: [UInt8] = []
        output.reserveCapacity(initialCapacity(compressed: body.count, maxOutput: maxOutput))

        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: chunkSize) { chunk in
            while true {
                // zlib counts in 32 bits: hand the input over in pieces.
                if stream.avail_in == 0, consumed < body.count {
                    let piece = min(body.count - consumed, 1 << 30)
                    stream.next_in = UnsafeMutablePointer(mutating: input + consumed)
                    stream.avail_in = uInt(piece)
                    consumed += piece
                }
                let room = min(chunk.count, maxOutput - output.count + 1)
                stream.next_out = chunk.baseAddress
                stream.avail_out = uInt(room)
                let availInBefore = stream.avail_in
                let status = inflate(&stream, Z_NO_FLUSH)
                let produced = room - Int(stream.avail_out)
                if produced > 0 {
                    output.append(contentsOf: UnsafeBufferPointer(start: chunk.baseAddress, count: produced))
                    if output.count > maxOutput { return .failure(limitError("zlib", maxOutput)) }
                }
                switch status {
                case Z_STREAM_END:
                    return .success(output)
                case Z_NEED_DICT:
                    // InflaterInputStream treats "needs a dictionary" as end of input.
                    return .success(output)
                case Z_OK, Z_BUF_ERROR:
                    let progressed = produced > 0 || stream.avail_in != availInBefore
                    if stream.avail_in == 0, consumed >= body.count, !progressed || status == Z_BUF_ERROR {
                        return .failure(DecompressionError(.truncated, "zlib: unexpected end of stream"))
                    }
                    if !progressed, stream.avail_out > 0 {
                        return .failure(DecompressionError(.truncated, "zlib: unexpected end of stream"))
                    }
                default:
                    let detail = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                    return .failure(DecompressionError(.corrupt, "zlib: \(detail)"))
                }
            }
        }
    }
}
