// swift-tools-version: 6.1
// Benchmarks for rmqstore, in their own package so that the main package's build never
// resolves or compiles the benchmark harness. From this directory:
//
//     swift package --allow-writing-to-package-directory benchmark      # ordo-one/benchmark
//     swift run -c release rmqbench                                      # plain harness, ratio table
//
// See README.md for the environment variables (store size) and measured figures.
import PackageDescription

let package = Package(
    name: "rmqstore-benchmarks",
    platforms: [.macOS(.v13)],
    dependencies: [
        .package(name: "rmqstore", path: "../"),
        // Only the MallocInterposer trait: the default RuntimeInterposer trait pulls in
        // ordo-one/swift-runtime-interposer (Linux, Swift 6.3), which is not needed for these
        // metrics and is not available offline here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Writes a synthetic, valid store once and reuses it across runs.
        .target(
            name: "StoreGenerator",
            dependencies: [.product(name: "RocketMQFormat", package: "rmqstore")]
        ),
        // Scratch stores for the repair benchmarks (rebuild, recover), made from the generated one.
        .target(
            name: "RepairScenarios",
            dependencies: [
                "StoreGenerator",
                .product(name: "RocketMQFormat", package: "rmqstore"),
                .product(name: "RocketMQStore", package: "rmqstore"),
                .product(name: "RocketMQTools", package: "rmqstore"),
            ]
        ),
        // ordo-one/benchmark suite (Benchmarks/<Name>/<Name>.swift).
        .executableTarget(
            name: "RMQStoreBenchmarks",
            dependencies: [
                "StoreGenerator",
                "RepairScenarios",
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "RocketMQFormat", package: "rmqstore"),
                .product(name: "RocketMQStore", package: "rmqstore"),
                .product(name: "RocketMQTools", package: "rmqstore"),
            ],
            path: "Benchmarks/RMQStoreBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The same work timed by a small stand-alone harness: medians and a ratio table.
        .executableTarget(
            name: "rmqbench",
            dependencies: [
                "StoreGenerator",
                "RepairScenarios",
                .product(name: "RocketMQFormat", package: "rmqstore"),
                .product(name: "RocketMQStore", package: "rmqstore"),
                .product(name: "RocketMQTools", package: "rmqstore"),
            ]
        ),
        // The store engine: put throughput, sync-flush latency, reopen times.
        .executableTarget(
            name: "enginebench",
            dependencies: [
                .product(name: "RocketMQFormat", package: "rmqstore"),
                .product(name: "RocketMQStore", package: "rmqstore"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
