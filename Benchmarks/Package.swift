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
    ],
    swiftLanguageModes: [.v6]
)
