// HexDump prints `hexdump -C` lines (without its final offset line). The expected text below
// is the output of util-linux `hexdump -C` on the same bytes (`-s` for the start offset).

import Testing
import RocketMQFormat

@Suite struct HexDumpTests {
    @Test func matchesHexdumpC() {
        let bytes: [UInt8] = Array(0x1E..<0x43) + [0x7F, 0x80, 0xFF]
        let text = bytes.withUnsafeBytes { HexDump.format($0, startOffset: 0x1F0) }
        #expect(text == """
            000001f0  1e 1f 20 21 22 23 24 25  26 27 28 29 2a 2b 2c 2d  |.. !"#$%&'()*+,-|
            00000200  2e 2f 30 31 32 33 34 35  36 37 38 39 3a 3b 3c 3d  |./0123456789:;<=|
            00000210  3e 3f 40 41 42 7f 80 ff                           |>?@AB...|
            """)
    }

    @Test func shortLineWithIndent() {
        let text = Array("Hello, RocketMQ".utf8).withUnsafeBytes { HexDump.format($0, startOffset: 0, indent: "  ") }
        #expect(text == "  00000000  48 65 6c 6c 6f 2c 20 52  6f 63 6b 65 74 4d 51     |Hello, RocketMQ|")
    }

    @Test func offsetsWiderThanEightDigits() {
        let text = [UInt8](repeating: 0x41, count: 17).withUnsafeBytes {
            HexDump.format($0, startOffset: 0x1_2345_6789_ABCF)
        }
        let lines = text.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0].hasPrefix("123456789abcf  41 41"))
        #expect(lines[1] == "123456789abdf  41                                                |A|")
    }

    @Test func emptyAndNegative() {
        #expect([UInt8]().withUnsafeBytes { HexDump.format($0, startOffset: 0) } == "")
        let text = [UInt8](repeating: 0x2E, count: 1).withUnsafeBytes { HexDump.format($0, startOffset: -1) }
        #expect(text == "000000-1  2e                                                |.|")
    }
}
