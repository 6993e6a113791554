// Counts findings, keeps the worst severity and passes at most `limit` of them on.

final class FindingCollector {
    private let report: (Finding) -> Void
    private let limit: Int
    private(set) var counts: [Finding.Severity: Int] = [:]
    private(set) var worst: Finding.Severity?
    private(set) var emitted = 0
    private(set) var suppressed = 0
    /// Areas whose findings are reported (others are dropped silently, for `--only`).
    var enabled = true
    /// Codes reported as info whatever their severity (a live broker: queues lag or lead the log).
    var downgradedToInfo: Set<String> = []

    init(limit: Int?, report: @escaping (Finding) -> Void) {
        self.limit = limit ?? .max
        self.report = report
    }

    func add(_ finding: Finding) {
        guard enabled else { return }
        var finding = finding
        if downgradedToInfo.contains(finding.code) { finding.severity = .info }
        counts[finding.severity, default: 0] += 1
        if worst == nil || finding.severity > worst! { worst = finding.severity }
        if emitted < limit {
            emitted += 1
            report(finding)
        } else {
            suppressed += 1
        }
    }

    func add(_ findings: [Finding]) { for finding in findings { add(finding) } }

    /// A collector for one unit of parallel work: keeps up to `limit` findings for `replay`
    /// into the real collector, in a fixed order, and counts the rest.
    static func buffer(limit: Int = 10_000) -> (FindingCollector, FindingBuffer) {
        let buffer = FindingBuffer()
        return (FindingCollector(limit: limit) { buffer.findings.append($0) }, buffer)
    }

    /// Passes on what a buffering collector kept and counts what it dropped.
    func replay(_ other: FindingCollector, _ buffer: FindingBuffer) {
        for finding in buffer.findings { add(finding) }
        guard enabled, other.suppressed > 0 else { return }
        // Dropped findings still count in the verdict; their severities are known.
        var kept: [Finding.Severity: Int] = [:]
        for finding in buffer.findings { kept[finding.severity, default: 0] += 1 }
        for (severity, count) in other.counts {
            let dropped = count - (kept[severity] ?? 0)
            guard dropped > 0 else { continue }
            counts[severity, default: 0] += dropped
            suppressed += dropped
            if worst == nil || severity > worst! { worst = severity }
        }
    }
}

/// Findings kept by a buffering collector.
final class FindingBuffer: @unchecked Sendable {  // filled by one thread, then read by another after a join
    var findings: [Finding] = []
}
