// Runs the built binary with a time limit, for tests that feed it hostile stores: a run that
// hangs is killed and reported as such instead of stalling the suite.

import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

struct BoundedResult {
    var result: RunResult
    var timedOut: Bool
    var seconds: Double
}

enum BoundedCLI {
    /// Runs `rmqstore arguments` (or `executable`), killing it after `timeout` seconds.
    static func run(_ arguments: [String], executable: String? = nil, timeout: Double = 20) throws -> BoundedResult {
        let binary = try executable ?? #require(CLI.binary, "rmqstore binary not found")
        return try CLI.runBounded(executable: binary, arguments, timeout: timeout)
    }

    /// Runs as user `nobody` through setpriv(1) when the tests run as root (root ignores file
    /// permissions). Nil when that is not possible.
    static func runUnprivileged(_ arguments: [String], scratch: String, timeout: Double = 20) throws -> BoundedResult? {
        guard getuid() == 0 else { return try run(arguments, timeout: timeout) }
        let setpriv = "/usr/bin/setpriv"
        guard FileManager.default.isExecutableFile(atPath: setpriv) else { return nil }
        // nobody must be able to execute the binary: copy it into the (world-readable) scratch dir.
        let copy = scratch + "/rmqstore"
        if !FileManager.default.fileExists(atPath: copy) {
            try FileManager.default.copyItem(atPath: try #require(CLI.binary), toPath: copy)
        }
        chmod(scratch, 0o755)
        chmod(copy, 0o755)
        return try run(["--reuid=65534", "--regid=65534", "--clear-groups", copy] + arguments,
                       executable: setpriv, timeout: timeout)
    }

    static var canDropPrivileges: Bool {
        getuid() != 0 || FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv")
    }
}
