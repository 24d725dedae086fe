import Foundation

/// A throwaway PKI made once per test run with the `openssl` CLI in a temporary directory: a CA, an ECDSA and an
/// RSA server certificate (SAN DNS:localhost, IP:127.0.0.1, IP:::1; usable as client certificates too), a client
/// certificate signed by the CA, a client certificate with names (SAN URI sip:agent-2@example.com, SAN DNS
/// agent-2.example.com, CN agent-2), and a second CA that signs only one client certificate with those names.
public struct TestCertificates: Sendable {
    private let storage: TemporaryDirectory
    /// The directory holding the files (tests may write their own files there too).
    public var directory: String { storage.path }
    public var caFile: String { directory + "/ca.pem" }
    public var otherCAFile: String { directory + "/other-ca.pem" }
    public var serverECDSA: (chain: String, key: String) {
        (directory + "/server-ec.pem", directory + "/server-ec.key")
    }
    public var serverRSA: (chain: String, key: String) {
        (directory + "/server-rsa.pem", directory + "/server-rsa.key")
    }
    public var client: (chain: String, key: String) { (directory + "/client.pem", directory + "/client.key") }
    /// A client certificate signed by the unrelated CA (so it never verifies), with the same names as
    /// ``clientWithNames`` and CN `stranger`.
    public var clientFromOtherCA: (chain: String, key: String) {
        (directory + "/client-stranger.pem", directory + "/client-stranger.key")
    }
    /// A client certificate with SAN URI `sip:agent-2@example.com`, SAN DNS `agent-2.example.com` and CN `agent-2`.
    public var clientWithNames: (chain: String, key: String) {
        (directory + "/client-named.pem", directory + "/client-named.key")
    }

    private static let making = Task { try await make() }

    /// Made on first use, shared by every test of the run.
    public static var shared: TestCertificates {
        get async throws { try await making.value }
    }

    /// A new set in a new directory (removed when the last copy of the value goes away).
    public static func make() async throws -> TestCertificates {
        let storage = try TemporaryDirectory("sotto-tls")
        let path = { (name: String) in storage.file(name) }
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        let rsa = ["-newkey", "rsa:2048"]
        try storage.write(
            "server.ext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n"
                // clientAuth too: a PBX presents its certificate when it connects to Sotto (upstream.trusted_names).
                + "extendedKeyUsage=serverAuth,clientAuth\n")
        try storage.write("client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        try storage.write(
            "client-named.ext",
            "subjectAltName=URI:sip:agent-2@example.com,DNS:agent-2.example.com\nbasicConstraints=CA:FALSE\n"
                + "extendedKeyUsage=clientAuth\n")
        for (name, subject) in [("ca", "/CN=Sotto Test CA"), ("other-ca", "/CN=Unrelated CA")] {
            try await openssl(
                ["req", "-x509"] + ec + [
                    "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).pem"), "-days", "2", "-subj",
                    subject,
                ])
        }
        for (name, keyOptions, ext, subject, issuer) in [
            ("server-ec", ec, "server.ext", "/CN=localhost", "ca"),
            ("server-rsa", rsa, "server.ext", "/CN=localhost", "ca"),
            ("client", ec, "client.ext", "/CN=agent-1", "ca"),
            ("client-named", ec, "client-named.ext", "/CN=agent-2", "ca"),
            ("client-stranger", ec, "client-named.ext", "/CN=stranger", "other-ca"),
        ] {
            try await openssl(
                ["req"] + keyOptions + [
                    "-nodes", "-keyout", path("\(name).key"), "-out", path("\(name).csr"), "-subj", subject,
                ])
            try await openssl([
                "x509", "-req", "-in", path("\(name).csr"), "-CA", path("\(issuer).pem"), "-CAkey",
                path("\(issuer).key"),
                "-set_serial", "\(Int.random(in: 1000...999_999))", "-days", "2", "-extfile", path(ext), "-out",
                path("\(name).pem"),
            ])
        }
        return TestCertificates(storage: storage)
    }

    private static func openssl(_ arguments: [String]) async throws {
        let result = try await ChildProcess.run("/usr/bin/openssl", arguments)
        guard result.status == 0 else {
            throw TestHarnessError("openssl \(arguments.joined(separator: " ")): \(result.stderr)")
        }
    }
}
