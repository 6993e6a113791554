// LZ4-frame and zstd decoding through liblz4 / libzstd loaded at run time (no build dependency).
//
// Both are driven as streams into a fixed chunk, so content sizes need not be known, output is
// capped, and every step either makes progress or ends the loop (no input can make it spin).
// Concatenated frames are decoded one after another, as lz4-java's LZ4FrameInputStream and
// zstd-jni's ZstdInputStream (what 4.9.8 uses) do; bytes that do not start a frame are an error.

enum BodyCodecLibraries {
    // MARK: liblz4

    struct LZ4: @unchecked Sendable {
        typealias Create = @convention(c) (UnsafeMutablePointer<OpaquePointer?>?, UInt32) -> Int
        typealias Free = @convention(c) (OpaquePointer?) -> Int
        typealias Reset = @convention(c) (OpaquePointer?) -> Void
        typealias Decompress = @convention(c) (
            OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int>?,
            UnsafeRawPointer?, UnsafeMutablePointer<Int>?, UnsafeRawPointer?
        ) -> Int
        typealias IsError = @convention(c) (Int) -> UInt32
        typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?

        let create: Create
        let free: Free
        /// LZ4F_resetDecompressionContext (lz4 ≥ 1.8): without it contexts are not reused.
        let reset: Reset?
        let decompress: Decompress
        let isError: IsError
        let errorName: ErrorName

        /// LZ4F_VERSION: the frame API version the context is created for.
        static let apiVersion: UInt32 = 100
    }

    static let lz4: LZ4? = {
        guard let library = DynamicLibrary(anyOf: ["liblz4.so.1", "liblz4.so", "liblz4.dylib"]),
            let create = library.function("LZ4F_createDecompressionContext", as: LZ4.Create.self),
            let free = library.function("LZ4F_freeDecompressionContext", as: LZ4.Free.self),
            let decompress = library.function("LZ4F_decompress", as: LZ4.Decompress.self),
            let isError = library.function("LZ4F_isError", as: LZ4.IsError.self),
            let errorName = library.function("LZ4F_getErrorName", as: LZ4.ErrorName.self)
        else { return nil }
        return LZ4(
            create: create, free: free, reset: library.function("LZ4F_resetDecompressionContext", as: LZ4.Reset.self),
            decompress: decompress, isError: isError, errorName: errorName)
    }()

    private static let spareLZ4Context = SpareCodecContext()

    /// A context ready for a new frame: the spare one (reset: whatever the last caller left it
    /// in, an error included) or a new one.
    private static func takeLZ4Context(_ lz4: LZ4) -> OpaquePointer? {
        if let reset = lz4.reset, let context = spareLZ4Context.take() {
            reset(context)
            return context
        }
        var context: OpaquePointer?
        guard lz4.isError(lz4.create(&context, LZ4.apiVersion)) == 0 else { return nil }
        return context
    }

    private static func returnLZ4Context(_ context: OpaquePointer, _ lz4: LZ4) {
        guard lz4.reset != nil else {
            _ = lz4.free(context)
            return
        }
        if let displaced = spareLZ4Context.keep(context) { _ = lz4.free(displaced) }
    }

    static func decompressLZ4(_ body: UnsafeRawBufferPointer, maxOutput: Int) -> Result<[UInt8], DecompressionError> {
        guard let lz4 else {
            return .failure(DecompressionError(.libraryUnavailable, "lz4: codec library not available (liblz4.so.1)"))
        }
        guard let context = takeLZ4Context(lz4) else {
            return .failure(DecompressionError(.corrupt, "lz4: cannot create decompression context"))
        }
        defer { returnLZ4Context(context, lz4) }

        let input = body.baseAddress!
        var position = 0
        var output: [UInt8] = []
        output.reserveCapacity(BodyCompression.initialCapacity(compressed: body.count, maxOutput: maxOutput))

        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: BodyCompression.chunkSize) { chunk in
            while true {
                let room = min(chunk.count, maxOutput - output.count + 1)
                var produced = room
                var consumed = body.count - position
                let hint = lz4.decompress(context, chunk.baseAddress, &produced, input + position, &consumed, nil)
                if lz4.isError(hint) != 0 {
                    return .failure(DecompressionError(.corrupt, "lz4: \(lz4ErrorText(lz4.errorName(hint)))"))
                }
                position += consumed
                if produced > 0 {
                    output.append(contentsOf: UnsafeBufferPointer(start: chunk.baseAddress, count: produced))
                    if output.count > maxOutput { return .failure(BodyCompression.limitError("lz4", maxOutput)) }
                }
                if hint == 0, position == body.count {
                    return .success(output)  // last frame complete and flushed
                }
                if consumed == 0, produced == 0 {
                    return .failure(
                        position == body.count
                            ? DecompressionError(.truncated, "lz4: unexpected end of frame")
                            : DecompressionError(.corrupt, "lz4: decoder made no progress"))
                }
            }
        }
    }

    /// `ERROR_frameType_unknown` → `frameType unknown`.
    private static func lz4ErrorText(_ name: UnsafePointer<CChar>?) -> String {
        guard let name else { return "invalid frame" }
        var text = String(cString: name)
        if text.hasPrefix("ERROR_") { text.removeFirst(6) }
        return String(text.map { $0 == "_" ? " " : $0 })
    }

    // MARK: libzstd

    struct Zstd: @unchecked Sendable {
        typealias Create = @convention(c) () -> OpaquePointer?
        typealias Free = @convention(c) (OpaquePointer?) -> Int
        typealias Init = @convention(c) (OpaquePointer?) -> Int
        /// (stream, ZSTD_outBuffer*, ZSTD_inBuffer*): each buffer is { pointer, size, pos }.
        typealias DecompressStream = @convention(c) (OpaquePointer?, UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Int
        typealias IsError = @convention(c) (Int) -> UInt32
        typealias ErrorName = @convention(c) (Int) -> UnsafePointer<CChar>?

        let create: Create
        let free: Free
        let initialize: Init
        let decompressStream: DecompressStream
        let isError: IsError
        let errorName: ErrorName
    }

    static let zstd: Zstd? = {
        guard let library = DynamicLibrary(anyOf: ["libzstd.so.1", "libzstd.so", "libzstd.dylib"]),
            let create = library.function("ZSTD_createDStream", as: Zstd.Create.self),
            let free = library.function("ZSTD_freeDStream", as: Zstd.Free.self),
            let initialize = library.function("ZSTD_initDStream", as: Zstd.Init.self),
            let decompressStream = library.function("ZSTD_decompressStream", as: Zstd.DecompressStream.self),
            let isError = library.function("ZSTD_isError", as: Zstd.IsError.self),
            let errorName = library.function("ZSTD_getErrorName", as: Zstd.ErrorName.self)
        else { return nil }
        return Zstd(
            create: create, free: free, initialize: initialize, decompressStream: decompressStream,
            isError: isError, errorName: errorName)
    }()

    private static let spareZstdStream = SpareCodecContext()

    static func decompressZstd(_ body: UnsafeRawBufferPointer, maxOutput: Int) -> Result<[UInt8], DecompressionError> {
        guard let zstd else {
            return .failure(DecompressionError(.libraryUnavailable, "zstd: codec library not available (libzstd.so.1)"))
        }
        // ZSTD_initDStream below starts a new session on a reused stream (keeping its buffers).
        guard let stream = spareZstdStream.take() ?? zstd.create() else {
            return .failure(DecompressionError(.corrupt, "zstd: cannot create decompression stream"))
        }
        defer {
            if let displaced = spareZstdStream.keep(stream) { _ = zstd.free(displaced) }
        }
        let initialized = zstd.initialize(stream)
        if zstd.isError(initialized) != 0 {
            return .failure(DecompressionError(.corrupt, "zstd: \(zstdErrorText(zstd.errorName(initialized)))"))
        }

        var output: [UInt8] = []
        output.reserveCapacity(BodyCompression.initialCapacity(compressed: body.count, maxOutput: maxOutput))

        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: BodyCompression.chunkSize) { chunk in
            // ZSTD_inBuffer and ZSTD_outBuffer: { pointer, size_t size, size_t pos }.
            withUnsafeTemporaryAllocation(of: Int.self, capacity: 6) { buffers in
                let inBuffer = buffers.baseAddress!
                let outBuffer = inBuffer + 3
                inBuffer[0] = Int(bitPattern: body.baseAddress)
                inBuffer[1] = body.count
                inBuffer[2] = 0
                while true {
                    let room = min(chunk.count, maxOutput - output.count + 1)
                    outBuffer[0] = Int(bitPattern: chunk.baseAddress)
                    outBuffer[1] = room
                    outBuffer[2] = 0
                    let before = inBuffer[2]
                    let status = zstd.decompressStream(stream, UnsafeMutableRawPointer(outBuffer), UnsafeMutableRawPointer(inBuffer))
                    if zstd.isError(status) != 0 {
                        return .failure(DecompressionError(.corrupt, "zstd: \(zstdErrorText(zstd.errorName(status)))"))
                    }
                    let produced = outBuffer[2]
                    let position = inBuffer[2]
                    guard produced >= 0, produced <= room, position >= before, position <= body.count else {
                        return .failure(DecompressionError(.corrupt, "zstd: decoder state invalid"))
                    }
                    if produced > 0 {
                        output.append(contentsOf: UnsafeBufferPointer(start: chunk.baseAddress, count: produced))
                        if output.count > maxOutput { return .failure(BodyCompression.limitError("zstd", maxOutput)) }
                    }
                    if status == 0, position == body.count {
                        return .success(output)  // last frame complete and flushed
                    }
                    if position == before, produced == 0 {
                        return .failure(
                            position == body.count
                                ? DecompressionError(.truncated, "zstd: unexpected end of frame")
                                : DecompressionError(.corrupt, "zstd: decoder made no progress"))
                    }
                    // Input used up and output not full: the frame needs bytes that are not there.
                    if status != 0, position == body.count, produced < room {
                        return .failure(DecompressionError(.truncated, "zstd: unexpected end of frame"))
                    }
                }
            }
        }
    }

    private static func zstdErrorText(_ name: UnsafePointer<CChar>?) -> String {
        guard let name else { return "invalid frame" }
        return String(cString: name)
    }
}
