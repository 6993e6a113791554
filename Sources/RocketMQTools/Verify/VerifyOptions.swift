// What `verify` checks and how.

public struct VerifyOptions: Sendable {
    /// The areas `--only` can select.
    public enum Area: String, Sendable, CaseIterable {
        case commitlog, consumequeue, index, checkpoint, config
    }

    /// Areas to check (all by default). The commitlog pass always runs (the other checks need
    /// it), but its findings are reported only when `.commitlog` is selected.
    public var areas: Set<Area>
    /// Report at most this many findings to the callback; the rest are only counted.
    public var maxFindings: Int?
    /// Threads for the commitlog pass. With more than one, files are split into chunks of
    /// `chunkSize` bytes checked in parallel (the result is the same as a serial walk).
    public var jobs: Int
    /// Chunk size for `jobs` > 1 (64 MiB; tests use small chunks on small fixtures).
    public var chunkSize = 64 << 20
    /// Index files with more hash slots than this have their chains walked instead of replayed
    /// (the replay keeps one Int32 per slot in memory). Tests lower it to cover the walk.
    var indexReplaySlotLimit = 8_000_000
    /// Whether a live broker holds the lock; nil probes `lock` with fcntl(F_GETLK).
    public var lockHeld: Bool?
    /// Called from the verifying thread after each commitlog file (and at the end of each phase).
    public var progress: (@Sendable (VerifyProgress) -> Void)?

    public init(
        areas: Set<Area> = Set(Area.allCases), maxFindings: Int? = nil, jobs: Int = 1, lockHeld: Bool? = nil,
        progress: (@Sendable (VerifyProgress) -> Void)? = nil
    ) {
        self.areas = areas
        self.maxFindings = maxFindings
        self.jobs = max(1, jobs)
        self.lockHeld = lockHeld
        self.progress = progress
    }
}

/// Progress of a run: bytes of commitlog checked out of the total.
public struct VerifyProgress: Sendable {
    public var phase: String
    public var bytesDone: Int64
    public var bytesTotal: Int64
}
