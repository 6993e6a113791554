// Where a tool's lines go: a buffered file descriptor (stdout) or a collector (tests).
//
// Output is batched into large writes; a closed pipe (`rmqstore dump … | head`) ends the run
// quietly instead of failing.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

public final class LineSink {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let collector: ((String) -> Void)?
    /// Set when the reader went away (EPIPE): callers should stop producing.
    public private(set) var isClosed = false

    public init(fileDescriptor: Int32 = 1, capacity: Int = 1 << 20) {
        fd = fileDescriptor
        collector = nil
        buffer.reserveCapacity(capacity)
    }

    /// Collects each line (without its newline) by calling `collect`.
    public init(collect: @escaping (String) -> Void) {
        fd = -1
        collector = collect
    }

    deinit { flush() }

    /// Writes one line given as bytes without the trailing newline.
    public func writeLine(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { writeLine($0) }
    }

    /// Writes one line given as bytes without the trailing newline (no copy for the caller).
    public func writeLine(_ bytes: UnsafeRawBufferPointer) {
        if let collector {
            collector(String(decoding: bytes, as: UTF8.self))
            return
        }
        buffer.append(contentsOf: bytes)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    /// Writes bytes that hold whole lines, each ending with a newline.
    public func writeLines(_ bytes: UnsafeRawBufferPointer) {
        if let collector {
            var start = 0
            for (i, byte) in bytes.enumerated() where byte == 0x0A {
                collector(String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self))
                start = i + 1
            }
            return
        }
        if bytes.count >= 1 << 16 {
            // A large block (a batch of dump lines): write it as it is rather than copy it.
            flush()
            writeAll(bytes)
            return
        }
        buffer.append(contentsOf: bytes)
        if buffer.count >= 1 << 20 { flush() }
    }

    public func writeLine(_ text: String) {
        if let collector {
            collector(text)
            return
        }
        buffer.append(contentsOf: text.utf8)
        buffer.append(0x0A)
        if buffer.count >= 1 << 20 { flush() }
    }

    public func flush() {
        guard fd >= 0, !buffer.isEmpty, !isClosed else { buffer.removeAll(keepingCapacity: true); return }
        buffer.withUnsafeBytes { writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes `raw` to the descriptor; a failed write (EPIPE: the reader went away) closes the sink.
    private func writeAll(_ raw: UnsafeRawBufferPointer) {
        guard fd >= 0, !isClosed, let base = raw.baseAddress else { return }
        var done = 0
        while done < raw.count {
            let n = write(fd, base + done, raw.count - done)
            if n < 0 {
                if errno == EINTR { continue }
                isClosed = true
                return
            }
            done += n
        }
    }
}
