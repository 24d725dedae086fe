// swift-tools-version: 6.1
import PackageDescription

import class Foundation.ProcessInfo

// `make fuzz` sets SOTTO_FUZZ=1 to add the libFuzzer executables. They only link with
// `-sanitize=fuzzer`, so an ordinary `swift build` must not see them.
let fuzzing = ProcessInfo.processInfo.environment["SOTTO_FUZZ"] == "1"

var targets: [Target] = [
    // C libraries from Debian's packages, found through pkg-config.
    .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
    .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
    .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
    // Ogg Opus files for exported recordings (sottoctl only).
    .systemLibrary(name: "COpusEnc", pkgConfig: "libopusenc", providers: [.apt(["libopusenc-dev"])]),
    // What Swift cannot import or must run in C, one target per purpose, each imported only by the
    // modules that need it. No unsafe flags: they would make every product built on these unusable as a
    // versioned dependency, and SwiftPM's release configuration already compiles C with -O2.
    // The SRTP crypto engine: OpenSSL-backed cipher and auth types registered into libsrtp2 (called per
    // packet from inside libsrtp2). Only SRTP imports it.
    .target(name: "CSottoSRTPCrypto", dependencies: ["CSRTP", "COpenSSL"]),
    // epoll, recvmmsg/sendmmsg, receive timestamps (cmsg), the allowed-CPU count: the media loops' calls.
    .target(name: "CSottoNet"),
    // Typed opus_encoder_ctl requests, for the packet generator's encoder.
    .target(name: "CSottoCodec", dependencies: ["COpus"]),
    // OpenSSL macros and SSL_OP_* constants as functions, for the TLS module.
    .target(name: "CSottoOpenSSL", dependencies: ["COpenSSL"]),
    // prctl (variadic, so not imported into Swift): core dumps off at start, for sotto.
    .target(name: "CSottoProcess"),

    // Wire formats: pure Swift.
    .target(name: "RTPWire"),
    .target(name: "SDP"),
    .target(name: "SIP"),

    // Crypto wrappers.
    .target(name: "SRTP", dependencies: ["SDP", "CSRTP", "COpenSSL", "CSottoSRTPCrypto"]),
    .target(name: "TLS", dependencies: ["COpenSSL", "CSottoOpenSSL"]),

    // I/O.
    .target(
        name: "Transport", dependencies: ["TLS", "CSottoNet", .product(name: "Logging", package: "swift-log")]),

    // The recording vault: the capture ring the media loops write into, the sealed chunked container, the
    // recipients' keys (HPKE through swift-crypto), the SQLite index (GRDB) and the retention sweeper.
    .target(
        name: "Recording",
        dependencies: [
            "CSottoNet",
            .product(name: "Crypto", package: "swift-crypto"), .product(name: "GRDB", package: "GRDB.swift"),
            .product(name: "Logging", package: "swift-log"),
        ]
    ),
    // The officer's side of a recording: decode, reorder, conceal, mix to stereo, encode (WAV, Ogg Opus through
    // libopusenc), and age v1 files for transport. Only sottoctl links it.
    .target(
        name: "RecordingExport",
        dependencies: ["Recording", "COpus", "COpusEnc", .product(name: "Crypto", package: "swift-crypto")]
    ),

    // Engines.
    .target(name: "Media", dependencies: ["RTPWire", "SRTP", "Transport", "Recording"]),
    .target(
        name: "Proxy",
        dependencies: [
            "SIP", "SDP", "SRTP", "TLS", "Transport", "Media", "Recording",
            .product(name: "Logging", package: "swift-log"),
            .product(name: "HeapModule", package: "swift-collections"),
        ]
    ),

    // The admin socket: its wire format (shared with sottoctl), and the server with roles and the audit log.
    .target(name: "AdminProtocol"),
    .target(
        name: "Admin",
        dependencies: ["AdminProtocol", "TLS", "Transport", .product(name: "Logging", package: "swift-log")]
    ),

    // The configuration file: parsed with TOMLKit, validated with errors that name the file and key.
    .target(name: "SottoConfig", dependencies: ["SRTP", .product(name: "TOMLKit", package: "TOMLKit")]),

    // Executables: they wire the modules together and parse flags.
    .executableTarget(
        name: "sotto",
        dependencies: [
            "Proxy", "SottoConfig", "Media", "Transport", "TLS", "SRTP", "Admin", "AdminProtocol", "CSottoNet",
            "CSottoProcess", "Recording",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Logging", package: "swift-log"),
            "SIP",
        ]
    ),
    .executableTarget(
        name: "sotto-loadgen",
        dependencies: [
            "SIP", "SDP", "SRTP", "RTPWire", "TLS", "Transport", "COpus", "CSottoCodec",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Histogram", package: "hdrhistogram-swift"),
        ]
    ),
    .executableTarget(
        name: "sottoctl",
        dependencies: [
            "AdminProtocol", "Admin", "Recording", "RecordingExport",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
            .product(name: "Crypto", package: "swift-crypto"),
        ]
    ),

    // A helper process for the cross-check tests: libsrtp2's type replacement is process-wide,
    // so the stock side of a comparison runs in a child process.
    .executableTarget(name: "srtp-crosscheck", dependencies: ["SRTP"], path: "Tests/SRTPCrossCheck"),
    // A helper process for the recording index's crash test: it writes a row and waits to be killed with -9.
    .executableTarget(name: "recording-index-child", dependencies: ["Recording"], path: "Tests/RecordingIndexChild"),

    .testTarget(name: "RTPWireTests", dependencies: ["RTPWire", "SottoTestSupport"]),
    .testTarget(
        name: "MediaTests",
        dependencies: ["Media", "Transport", "SRTP", "Recording", "CSottoTestSupport", "SottoTestSupport"]),
    .testTarget(name: "SDPTests", dependencies: ["SDP"]),
    .testTarget(name: "RecordingTests", dependencies: ["Recording", "SottoTestSupport", "recording-index-child"]),
    .testTarget(
        name: "RecordingExportTests", dependencies: ["RecordingExport", "Recording", "SottoTestSupport", "COpus"]),
    .testTarget(name: "SIPTests", dependencies: ["SIP"]),
    // Test helpers more than one test target needs: a throwaway PKI made with the openssl CLI, a child-process
    // runner that waits without holding a thread, temporary directories, hex, a manual media clock, and the fake
    // admin backend (for the admin tests and admin-fixture-server).
    .target(
        name: "SottoTestSupport", dependencies: ["Media", "Admin", "AdminProtocol"], path: "Tests/SottoTestSupport"),
    // C only tests need: glibc's allocator statistics (mallinfo2), which Swift's Glibc does not expose.
    .target(name: "CSottoTestSupport", path: "Tests/CSottoTestSupport"),
    .testTarget(name: "TLSTests", dependencies: ["TLS", "SottoTestSupport"]),
    .testTarget(name: "TransportTests", dependencies: ["Transport", "TLS", "SottoTestSupport"]),
    .testTarget(
        name: "SRTPTests",
        dependencies: ["SRTP", "SDP", "CSRTP", "CSottoSRTPCrypto", "srtp-crosscheck", "SottoTestSupport"]),
    .testTarget(
        name: "ProxyTests",
        dependencies: ["Proxy", "SIP", "SDP", "SRTP", "Media", "Transport", "TLS", "Recording", "SottoTestSupport"]),
    .testTarget(name: "SottoConfigTests", dependencies: ["SottoConfig", "SottoTestSupport", "SRTP"]),
    .testTarget(
        name: "AdminTests", dependencies: ["Admin", "AdminProtocol", "admin-fixture-server", "SottoTestSupport"]),
    .testTarget(
        name: "LoadgenTests",
        dependencies: ["sotto-loadgen", "SottoTestSupport", "RTPWire", "SIP", "SRTP", "Transport"]),
    // The real sotto as a process: descriptor limits, the privilege drop, core dumps, --check-config, and
    // `sottoctl config` against it.
    .testTarget(name: "SottoProcessTests", dependencies: ["sotto", "sottoctl", "SottoTestSupport"]),
    .testTarget(
        name: "SottoctlTests", dependencies: ["AdminProtocol", "sottoctl", "admin-fixture-server", "SottoTestSupport"]),
    // An admin server over the fake in-memory backend, for the admin and sottoctl tests (a real socket,
    // real roles and audit log; only the relay behind it is canned).
    .executableTarget(
        name: "admin-fixture-server", dependencies: ["Admin", "AdminProtocol", "SottoTestSupport"],
        path: "Tests/AdminFixtureServer"),
    // The end-to-end tests' SRTP checker: decrypts captured packets with each leg's keys, using
    // libsrtp2's own (stock) crypto types, so the proof does not rest on Sotto's OpenSSL types.
    .executableTarget(name: "srtp-leg-check", dependencies: ["SRTP", "SottoTestSupport"], path: "Tests/SRTPLegCheck"),
]

if fuzzing {
    targets += [
        .executableTarget(name: "RTPWireFuzz", dependencies: ["RTPWire"], path: "Fuzz/RTPWireFuzz"),
        .executableTarget(name: "SDPFuzz", dependencies: ["SDP"], path: "Fuzz/SDPFuzz"),
        .executableTarget(name: "SIPMessageFuzz", dependencies: ["SIP"], path: "Fuzz/SIPMessageFuzz"),
        .executableTarget(name: "SIPFramerFuzz", dependencies: ["SIP"], path: "Fuzz/SIPFramerFuzz"),
        // One admin request line through the admin server's handler, over a canned backend (no connection).
        .executableTarget(
            name: "AdminLineFuzz",
            dependencies: [
                "Admin", "AdminProtocol", "Transport", "SottoTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/AdminLineFuzz"),
        // A few SIP messages through a fresh proxy per input (router, transactions, calls) over a fake media engine.
        .executableTarget(
            name: "ProxyRequestFuzz",
            dependencies: [
                "Proxy", "SIP", "SRTP", "Media", "SottoTestSupport", .product(name: "Logging", package: "swift-log"),
            ],
            path: "Fuzz/ProxyRequestFuzz"),
    ]
}

let package = Package(
    name: "Sotto",
    products: [
        .library(name: "RTPWire", targets: ["RTPWire"]),
        .library(name: "SRTP", targets: ["SRTP"]),
        .library(name: "SDP", targets: ["SDP"]),
        .library(name: "SIP", targets: ["SIP"]),
        .library(name: "Transport", targets: ["Transport"]),
        .library(name: "Media", targets: ["Media"]),
        .library(name: "Recording", targets: ["Recording"]),
        .library(name: "Proxy", targets: ["Proxy"]),
        .executable(name: "sotto", targets: ["sotto"]),
        .executable(name: "sottoctl", targets: ["sottoctl"]),
        .executable(name: "sotto-loadgen", targets: ["sotto-loadgen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", exact: "0.6.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: targets,
    swiftLanguageModes: [.v6]
)
