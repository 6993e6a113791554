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
}
