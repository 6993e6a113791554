// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "rmqstore",
    products: [
        .executable(name: "rmqstore", targets: ["rmqstore"]),
        .library(name: "RocketMQFormat", targets: ["RocketMQFormat"]),
        .library(name: "RocketMQStore", targets: ["RocketMQStore"]),
        .library(name: "RocketMQTools", targets: ["RocketMQTools"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
    ],
    targets: [
        // zlib (zlib1g-dev): crc32 for the body CRC and inflate for compressed bodies.
        .systemLibrary(
            name: "CZlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // Pure codec: bytes in, values out and back. No Foundation, no file I/O.
        .target(name: "RocketMQFormat", dependencies: ["CZlib"]),
        // Cache prefetch hints (a header of static inline functions) for the sequential readers.
        .target(name: "CMemoryHints"),
        // Store directories: layout, files, mmap, readers (and the engine).
        .target(name: "RocketMQStore", dependencies: ["RocketMQFormat", "CMemoryHints"]),
        // Operations as library functions returning reports or streams.
        .target(name: "RocketMQTools", dependencies: ["RocketMQFormat", "RocketMQStore"]),
        // Thin CLI: parse, call, print.
        .executableTarget(
            name: "rmqstore",
            dependencies: [
                "RocketMQTools",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "TestSupport",
            dependencies: ["RocketMQFormat"],
            path: "Tests/TestSupport"
        ),
        .testTarget(
            name: "RocketMQFormatTests",
            dependencies: [
                "RocketMQFormat", "TestSupport",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]
        ),
        .testTarget(name: "RocketMQStoreTests", dependencies: ["RocketMQStore", "TestSupport"]),
        .testTarget(name: "RocketMQToolsTests", dependencies: ["RocketMQTools", "TestSupport"]),
        .testTarget(name: "CLITests", dependencies: ["rmqstore", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
