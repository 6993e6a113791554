// Buffered line reading from a file descriptor (stdin for `rmqstore put`).

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import RocketMQStore

public struct LineReader {
    private let fileDescriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 1 << 16)
    private var start = 0
    private var end = 0
    private var atEnd = false

    public init(fileDescriptor: Int32) { self.fileDescriptor = fileDescriptor }

    /// The next line without its "\n"; nil at end of input.
    public mutating func next() throws(StoreError) -> [UInt8]? {
        var line: [UInt8] = []
        while true {
            if start < end {
                let slice = buffer[start..<end]
                if let newline = slice.firstIndex(of: 0x0A) {
                    line.append(contentsOf: buffer[start..<newline])
                    start = newline + 1
                    return line
                }
                line.append(contentsOf: slice)
                start = end
            }
            if atEnd { return line.isEmpty ? nil : line }
            let count = buffer.withUnsafeMutableBytes { read(fileDescriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                throw StoreError(.io, path: "stdin", "read failed: \(FileSystem.errorText(code))", errno: code)
            }
            if count == 0 { atEnd = true }
            start = 0
            end = count
        }
    }
}
