// Temporary directories for tests that hand a path to code (or a child process) outliving the
// function that made it. Each is removed when the test process exits, so a run leaves nothing
// behind in /tmp however many stores it copies.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

public enum ScratchDirectory {
    /// A new, empty directory `<tmp>/<prefix>-<uuid>`, removed at process exit.
    public static func make(_ prefix: String) throws -> String {
        let path = reserve(prefix)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// A path `<tmp>/<prefix>-<uuid>` that does not exist yet (for code that must create it
    /// itself, such as salvage's output), removed at process exit.
    public static func reserve(_ prefix: String) -> String {
        let path = NSTemporaryDirectory() + "\(prefix)-\(UUID().uuidString)"
        registry.add(path)
        return path
    }

    private static let registry = Registry()

    private final class Registry: @unchecked Sendable {
        private var lock = pthread_mutex_t()
        private var paths: [String] = []
        private var installed = false

        init() { pthread_mutex_init(&lock, nil) }

        func add(_ path: String) {
            pthread_mutex_lock(&lock)
            paths.append(path)
            let install = !installed
            installed = true
            pthread_mutex_unlock(&lock)
            if install { atexit { ScratchDirectory.registry.removeAll() } }
        }

        func removeAll() {
            pthread_mutex_lock(&lock)
            let all = paths
            paths = []
            pthread_mutex_unlock(&lock)
            for path in all { try? FileManager.default.removeItem(atPath: path) }
        }
    }
}
