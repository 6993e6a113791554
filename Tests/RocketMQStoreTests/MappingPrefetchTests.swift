import Foundation
import RocketMQStore
import Testing

/// `MappedRegion.prefetch(upTo:)` only moves page-table work to a helper thread: the bytes
/// read are the file's, and dropping a region while its helper still runs is safe (the helper
/// is stopped and joined before the unmap).
@Suite struct MappingPrefetchTests {
    /// A file large enough for the helper to start (it needs two 16 MiB steps).
    static func makeFile(megabytes: Int) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("prefetch-\(UUID().uuidString)").path
        var bytes = [UInt8](repeating: 0, count: megabytes << 20)
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for i in stride(from: 0, to: bytes.count, by: 8) {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            withUnsafeBytes(of: state) { word in
                for j in 0..<8 { bytes[i + j] = word[j] }
            }
        }
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        return path
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var sum: UInt64 = 0
        for i in stride(from: 0, to: bytes.count - 7, by: 8) {
            sum = sum &* 31 &+ bytes.loadUnaligned(fromByteOffset: i, as: UInt64.self)
        }
        return sum
    }

    @Test func readsTheSameBytesWithAndWithoutThePrefetch() throws {
        let path = try Self.makeFile(megabytes: 40)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let plain = try MappedRegion(path: path).withBytes { Self.checksum($0) }
        let region = try MappedRegion(path: path)
        region.prefetch(upTo: region.count)
        region.prefetch(upTo: region.count)  // a second call is ignored
        #expect(region.withBytes { Self.checksum($0) } == plain)
        // Part of the file, and an end past it (clamped).
        for end in [24 << 20, 33 << 20, Int.max] {
            let partial = try MappedRegion(path: path)
            partial.prefetch(upTo: end)
            #expect(partial.withBytes { Self.checksum($0) } == plain)
        }
    }

    @Test func droppingARegionStopsItsHelper() throws {
        let path = try Self.makeFile(megabytes: 64)
        defer { try? FileManager.default.removeItem(atPath: path) }
        for _ in 0..<50 {
            let region = try MappedRegion(path: path)
            region.prefetch(upTo: region.count)
            // Unmapped at once, most often while the helper is still populating.
        }
        let region = try MappedRegion(path: path)
        region.prefetch(upTo: region.count)
        #expect(region.withBytes { $0.count } == 64 << 20)
    }
}
