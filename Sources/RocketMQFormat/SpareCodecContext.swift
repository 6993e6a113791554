// One spare decoder context (an LZ4F_dctx or a ZSTD_DStream) kept between calls.
//
// A context allocates its block buffers on the first frame it decodes: 2 × 4 MiB for the 4 MiB
// blocks lz4-java's LZ4FrameOutputStream declares, zstd's window for a zstd frame. Creating and
// freeing one per message made every compressed body cost those allocations (under
// AddressSanitizer most of the time of a fuzz run went to poisoning them). The spare is
// handed to one caller at a time (an atomic exchange), so concurrent decoders never share a
// context; one that finds the slot empty just creates its own. Memory stays bounded: at most
// one spare per codec.

import Synchronization

struct SpareCodecContext: ~Copyable, Sendable {
    private let slot = Atomic<UInt>(0)

    /// The spare context, if there is one; the slot is left empty.
    func take() -> OpaquePointer? {
        OpaquePointer(bitPattern: slot.exchange(0, ordering: .acquiringAndReleasing))
    }

    /// Keeps `context` as the spare and returns the context it displaces (the caller frees it).
    func keep(_ context: OpaquePointer) -> OpaquePointer? {
        OpaquePointer(bitPattern: slot.exchange(UInt(bitPattern: Int(bitPattern: context)), ordering: .acquiringAndReleasing))
    }
}
