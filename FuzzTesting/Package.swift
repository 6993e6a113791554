// swift-tools-version: 6.1
// libFuzzer targets for every decoder, in their own package so that the main build (and the
// man-page generation, which needs a single executable product) never sees them. Each target is
// an executable whose entry point is libFuzzer's `main`; build them with `./run.sh` (which passes
// `-sanitize=fuzzer,address -parse-as-library`), see README.md.
import PackageDescription

let fuzzTargets = [
    "FuzzRecord", "FuzzCommitLogFile", "FuzzConsumeQueue", "FuzzIndexFile", "FuzzCheckpoint",
    "FuzzConfigJSON", "FuzzProperties", "FuzzMessageId", "FuzzBodyDecompression",
]

let package = Package(
    name: "rmqstore-fuzz",
    dependencies: [
        .package(name: "rmqstore", path: "../"),
    ],
    targets: [
        // The checks themselves: decode arbitrary bytes, describe them, assert round trips.
        // A violated property traps, which libFuzzer reports as a crash with the input saved.
        .target(
            name: "FuzzChecks",
            dependencies: [
                .product(name: "RocketMQFormat", package: "rmqstore"),
            ]
        ),
    ] + fuzzTargets.map { name in
        .executableTarget(name: name, dependencies: ["FuzzChecks"])
    },
    swiftLanguageModes: [.v6]
)
