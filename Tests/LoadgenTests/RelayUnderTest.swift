import Foundation
import SottoTestSupport

/// A real `sotto` from the build directory for the loadgen tests: softphones reach it on 127.0.0.1, its upstream
/// is the generator's PBX side on 127.0.0.2, media on 23000-23999 (so the relay tests run one at a time).
final class RelayUnderTest {
    let certificates: TestCertificates
    let sipPort = freePort(ip: "127.0.0.1")
    let pbxPort = freePort(ip: "127.0.0.2")
    private let relay: ChildProcess

    /// Writes a config named after `label` (with `media` lines added to its `[media]` section) and starts the relay.
    init(label: String, media: String = "") async throws {
        certificates = try await TestCertificates.shared
        let directory = certificates.directory
        let config = """
            [sip]
            listen = "127.0.0.1:\(sipPort)"
            cert = "\(certificates.serverECDSA.chain)"
            key = "\(certificates.serverECDSA.key)"
            ca = "\(certificates.caFile)"
            [upstream]
            address = "127.0.0.2:\(pbxPort)"
            server_name = "localhost"
            reconnect_min_ms = 100
            reconnect_max_ms = 500
            [media]
            ip = "127.0.0.1"
            ports = "23000-23999"
            \(media)
            [admin]
            socket = "\(directory)/\(label)-admin-\(sipPort).sock"
            audit_log = "\(directory)/\(label)-audit-\(sipPort).jsonl"
            [process]
            # The tests run as root, and their relay has nothing to protect.
            allow_root = true
            """
        let configPath = directory + "/\(label)-sotto-\(sipPort).toml"
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        relay = try ChildProcess(
            BuildProducts.path("sotto"), ["--config", configPath], stdout: .null, stderr: .null)
    }

    /// Where `sotto-loadgen` writes its JSON report for this run.
    func reportPath(_ label: String) -> String { certificates.directory + "/\(label)-report-\(sipPort).json" }

    /// The generator's flags for this relay: addresses, the PBX side's certificate, the CA.
    var loadgenArguments: [String] {
        [
            "--relay", "127.0.0.1:\(sipPort)", "--listen", "127.0.0.2:\(pbxPort)", "--server-name", "localhost",
            "--cert", certificates.serverECDSA.chain, "--key", certificates.serverECDSA.key, "--ca",
            certificates.caFile,
        ]
    }

    /// Stops the relay (SIGTERM) and waits for it; one that does not stop within 10 s is killed.
    func stop() async {
        relay.signal(SIGTERM)
        _ = try? await relay.exitStatus(timeout: .seconds(10))
    }
}
