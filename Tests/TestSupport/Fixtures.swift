// Locates the bundled RocketMQ fixture stores (fixtures/ at the package root).

public enum Fixtures {
    /// The package root, derived from this file's location (Tests/TestSupport/Fixtures.swift).
    public static let packageRoot: String = {
        var path = #filePath
        for _ in 0..<3 {
            if let slash = path.lastIndex(of: "/") { path = String(path[..<slash]) }
        }
        return path
    }()

    public static let root = packageRoot + "/fixtures"

    /// Every fixture scenario, as `rocketmq-<version>/<name>`.
    public static let all: [String] = [
        "rocketmq-4.9.8/basic",
        "rocketmq-4.9.8/ipv6_compressed_batch",
        "rocketmq-4.9.8/delayed",
        "rocketmq-4.9.8/transaction",
        "rocketmq-4.9.8/crash_killed",
        "rocketmq-4.9.8/sync_flush",
        "rocketmq-4.9.8/corrupt_base",
        "rocketmq-4.9.8/corrupt_a_torn_tail_zeroed",
        "rocketmq-4.9.8/corrupt_a2_torn_file_truncated",
        "rocketmq-4.9.8/corrupt_b_crc_flip_middle",
        "rocketmq-4.9.8/corrupt_b2_crc_flip_last_file",
        "rocketmq-4.9.8/corrupt_c_cq_ahead_of_commitlog",
        "rocketmq-4.9.8/corrupt_d_cq_missing",
        "rocketmq-4.9.8/corrupt_e_index_missing",
        "rocketmq-4.9.8/corrupt_f_checkpoint_missing",
        "rocketmq-5.3.3/v5_basic",
    ]

    /// The store root of a scenario.
    public static func store(_ scenario: String) -> String { "\(root)/\(scenario)/store" }

    /// A file under the scenario's expected/ directory.
    public static func expected(_ scenario: String, _ name: String) -> String { "\(root)/\(scenario)/expected/\(name)" }
}
