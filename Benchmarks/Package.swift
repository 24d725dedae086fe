// swift-tools-version: 6.1
// Sotto's benchmarks, a package of their own so that the benchmark plugin's build never slows the
// main package's. `make bench-crypto` runs them.
import PackageDescription

import struct Foundation.URL

// A path dependency's identity is its folder's name, and a CI clone may use another one.
let parent = URL(fileURLWithPath: Context.packageDirectory).deletingLastPathComponent().lastPathComponent

let package = Package(
    name: "sotto-benchmarks",
    dependencies: [
        .package(path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(url: "https://github.com/ordo-one/malloc-interposer", from: "1.6.1"),
    ],
    targets: [
        // The "limit" rows: the bare OpenSSL calls one packet needs, with nothing of libsrtp2 around them.
        .target(
            name: "CCryptoLimit",
            path: "Sources/CCryptoLimit",
            cSettings: [.unsafeFlags(["-O2"])],
            linkerSettings: [.linkedLibrary("crypto")]
        ),
        .executableTarget(
            name: "CryptoBenchmarks",
            dependencies: [
                "CCryptoLimit",
                .product(name: "SRTP", package: parent),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "CryptoBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "SignallingBenchmarks",
            dependencies: [
                .product(name: "SIP", package: parent),
                .product(name: "SDP", package: parent),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "SignallingBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        .executableTarget(
            name: "MediaBenchmarks",
            dependencies: [
                .product(name: "Media", package: parent),
                .product(name: "Transport", package: parent),
                .product(name: "SRTP", package: parent),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "MediaBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The relay loop under load (make bench-relay): a relay process and a generator process,
        // pinned to different cores. Not a package-benchmark target: it measures two processes.
        .executableTarget(
            name: "RelayBench",
            dependencies: [
                .product(name: "Media", package: parent),
                .product(name: "Transport", package: parent),
                .product(name: "SRTP", package: parent),
                .product(name: "MallocInterposerSwift", package: "malloc-interposer"),
            ],
            path: "RelayBench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
