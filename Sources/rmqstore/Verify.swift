import ArgumentParser
import RocketMQFormat
import RocketMQStore
import RocketMQTools

#if canImport(Glibc)
import Glibc
#endif

extension Rmqstore {
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a whole store and give a verdict for CI: clean, repairable or damaged.",
            discussion: """
                Checks every commitlog record (magic, size formula, body CRC, [5.x] property CRC, \
                PHYSICALOFFSET = position, lengths, SYSFLAG), the commitlog files (names, sizes, gaps, \
                blank markers, data after the end), every consume queue unit against the record it points \
                at (size, topic, queue, queue offset, tagsCode) and against the log (ahead of it, behind \
                it, holes, empty or wrong-size files), every index file (header against its entries, hash \
                slot chains as putKey builds them, each entry's record carries the key, entry times), the \
                checkpoint, abort and lock files, and config/*.json (and .bak), delayOffset.json and \
                consumerOffset.json against the queues. Every finding is reported, not just the first; \
                after damage the walk resumes at the next record whose PHYSICALOFFSET names its position.

                A consume queue whose head file was deleted while the log still holds its messages is \
                `cq.missing-head` (naming the missing file and the queue offsets). [5.x] batch consume \
                queues (batchconsumequeue/) are checked unit by unit: msgBaseOffset = previous base + \
                batchSize (`bcq.base-gap`), increasing physical offsets (`bcq.offset-not-increasing`), and \
                the record's size, queue, QUEUEOFFSET = base, INNER_NUM = batchSize (or batchSize 1), \
                tagsCode and store time (`bcq.unit-mismatch`), plus `bcq.behind-log`, `bcq.ahead-of-log`, \
                `bcq.missing-head`. Info only: a COMMIT (or legacy ROLLBACK) record whose PREPARED \
                TRANSACTION OFFSET does not name its half record (same UNIQ_KEY and body, REAL_TOPIC/REAL_QID \
                = its queue) or legacy prepared record (`tx.prepared-mismatch`, `tx.prepared-link`; \
                `tx.prepared-expired` when it lies below the commitlog min), and UNIQ_KEYs that are not 32 \
                or 56 hex digits (`record.uniq-key-format`, one finding per commitlog file with a count).

                Consume queues and index files are proven against the log by order-independent 64-bit \
                digests computed in the same pass; a queue or index file whose digest differs is compared \
                unit by unit with the records, which is what reports the findings.

                Read-only and safe on a live store: the lock is probed (fcntl F_GETLK), never taken; when \
                a broker holds it, a failing record at the very end of the log is reported as info \
                `record.tail-in-progress`.

                --format json prints one finding per line (NDJSON: type, severity, code, file, position, \
                physicalOffset for commitlog findings, topic/queueId/queueOffset for queue findings, \
                expected, found, message) and a final {"type":"summary",...} line.

                Finding classes and exit status (the worst finding decides):
                  0   clean: no finding above info
                  1   repairable: only repairable findings: torn tail after a crash, consume queue or \
                index out of step with the log, missing checkpoint, abort present, bad config (no \
                message lost)
                  65  damaged: message data damaged (a record in the middle of the log fails its \
                checks, a missing middle commitlog file)
                  74  unreadable: a file could not be read (I/O error), nothing damaged found elsewhere
                  64  usage error (including a path that is not a store)
                """)

        @OptionGroup var storeArguments: StoreArguments

        @Option(help: "Output format: text or json (NDJSON).")
        var format: OutputFormat = .text

        @Option(help: ArgumentHelp(
            "Check only these areas (repeat the option or separate with commas): commitlog, consumequeue, index, "
                + "checkpoint (with abort/lock/strays), config.", valueName: "areas"))
        var only: [String] = []

        @Option(help: "Print at most this many findings (all are still counted in the verdict).")
        var maxFindings: Int?

        @Option(help: "Threads: commitlog files are checked in 64 MiB chunks, queues and index entries in parallel.")
        var jobs: Int = 1

        @Flag(inversion: .prefixedNo, help: "Progress on stderr (default: on when stderr is a terminal).")
        var progress: Bool?

        func validate() throws {
            if let maxFindings, maxFindings < 0 { throw ValidationError("--max-findings must not be negative") }
            if jobs < 1 { throw ValidationError("--jobs must be at least 1") }
            _ = try areas()
        }

        /// `--only` values, comma lists allowed.
        func areas() throws -> Set<VerifyOptions.Area> {
            var areas = Set<VerifyOptions.Area>()
            for value in only {
                for name in value.split(separator: ",") {
                    guard let area = VerifyOptions.Area(rawValue: String(name)) else {
                        let valid = VerifyOptions.Area.allCases.map(\.rawValue).joined(separator: ", ")
                        throw ValidationError("--only: unknown area '\(name)' (expected one of: \(valid))")
                    }
                    areas.insert(area)
                }
            }
            return areas.isEmpty ? Set(VerifyOptions.Area.allCases) : areas
        }

        func run() throws {
            let layout = try storeArguments.layout()
            let showProgress = progress ?? (isatty(2) == 1)
            let meter = showProgress ? ProgressMeter() : nil
            let options = VerifyOptions(
                areas: try areas(), maxFindings: maxFindings, jobs: jobs,
                progress: meter.map { meter in { @Sendable progress in meter.update(progress) } })
            let sink = LineSink()
            let formatter = FindingFormatter(format: format)
            let summary = StoreVerifier(layout: layout, options: options).run { finding in
                sink.writeLine(formatter.line(finding))
            }
            meter?.finish()
            sink.writeLine(formatter.line(summary))
            sink.flush()
            if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
        }
    }
}


/// Bytes done, rate and ETA on stderr, redrawn at most 10 times a second.
final class ProgressMeter: @unchecked Sendable {
    private let start = ProgressMeter.now()
    private var last = 0.0

    static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    func update(_ progress: VerifyProgress) {
        let now = Self.now()
        guard now - last >= 0.1 || progress.bytesDone == progress.bytesTotal else { return }
        last = now
        let elapsed = max(now - start, 1e-6)
        let rate = Double(progress.bytesDone) / elapsed
        let left = rate > 0 ? Double(progress.bytesTotal - progress.bytesDone) / rate : 0
        let line = "\r\(progress.phase): \(mib(progress.bytesDone))/\(mib(progress.bytesTotal)) MiB, "
            + "\(mib(Int64(rate))) MiB/s, ETA \(Int(left.rounded()))s   "
        var stderr = StandardError()
        print(line, terminator: "", to: &stderr)
    }

    func finish() {
        var stderr = StandardError()
        print("\r\u{1B}[K", terminator: "", to: &stderr)
    }

    private func mib(_ bytes: Int64) -> String { String(bytes / (1 << 20)) }
}
