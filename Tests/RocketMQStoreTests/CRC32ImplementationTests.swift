import RocketMQFormat
import RocketMQStore
import Testing
import TestSupport

/// ISA-L's crc32_gzip_refl and zlib's crc32 must agree on every body of every fixture.
@Suite struct CRC32ImplementationTests {
    @Test func knownVector() {
        let bytes = Array("123456789".utf8)
        bytes.withUnsafeBytes { raw in
            #expect(CRC32.checksum(raw, using: .zlib) == 0xCBF4_3926)
            #expect(CRC32.rocketMQ(raw) == 1_274_296_614)
        }
    }

    @Test(.enabled(if: CRC32.isISALAvailable, "libisal.so.2 is not installed"), arguments: Fixtures.all)
    func isalMatchesZlibOnEveryFixtureBody(_ scenario: String) throws {
        let layout = try StoreLayout.discover(Fixtures.store(scenario))
        var bodies = 0
        try CommitLogWalker(layout: layout).walk { event in
            if case .message(_, let record) = event, record.isComplete {
                let body = record.body
                #expect(CRC32.checksum(body, using: .isal) == CRC32.checksum(body, using: .zlib))
                bodies += 1
            }
            return .proceed
        }
        #expect(bodies > 0)
    }
}
