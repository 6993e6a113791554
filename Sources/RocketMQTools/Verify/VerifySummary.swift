// The result of a `verify` run: verdict and counts.

public struct VerifySummary: Sendable {
    public var verdict: VerifyVerdict = .clean
    public var findings: [Finding.Severity: Int] = [:]
    /// Findings counted but not passed to the callback (`maxFindings`).
    public var suppressed = 0
    public var commitLogFiles = 0
    public var commitLogBytes: Int64 = 0
    public var records = 0
    /// Start of the first and end of the last valid record.
    public var minOffset: Int64 = 0
    public var maxOffset: Int64 = 0
    public var consumeQueues = 0
    public var consumeQueueUnits = 0
    public var indexFiles = 0
    public var indexEntries = 0
    public var lockHeld = false

    public var exitCode: Int32 { verdict.exitCode }

    public func count(_ severity: Finding.Severity) -> Int { findings[severity] ?? 0 }
    public var totalFindings: Int { findings.values.reduce(0, +) }
}
