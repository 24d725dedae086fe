import Foundation

/// Shared by the TLS and Transport tests. Throwaway PKI made once per test run with the `openssl` CLI in a temporary directory: a CA, an
/// ECDSA and an RSA server certificate (SAN DNS:localhost, IP:127.0.0.1, IP:::1), a client
/// certificate signed by the CA, and a second CA nothing is signed by.
public struct TestCertificates: Sendable {
    public let directory: String
    public var caFile: String { directory + "/ca.pem" }
    public var otherCAFile: String { directory + "/other-ca.pem" }
    public var serverECDSA: (chain: String, key: String) {
        (directory + "/server-ec.pem", directory + "/server-ec.key")
    }
    public var serverRSA: (chain: String, key: String) {
        (directory + "/server-rsa.pem", directory + "/server-rsa.key")
    }
    public var client: (chain: String, key: String) { (directory + "/client.pem", directory + "/client.key") }

    /// Made on first use, shared by every test.
    public static let shared: TestCertificates = {
        do {
            return try make()
        } catch {
            fatalError("could not make test certificates: \(error)")
        }
    }()

    struct CommandFailed: Error, CustomStringConvertible {
        let description: String
    }

    public static func make() throws -> TestCertificates {
        let directory = NSTemporaryDirectory() + "sotto-tls-\(getpid())-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"]
        let rsa = ["-newkey", "rsa:2048"]
        try write(
            directory + "/server.ext",
            "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\nbasicConstraints=CA:FALSE\n"
                + "extendedKeyUsage=serverAuth\n")
        try write(directory + "/client.ext", "basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n")
        for (name, subject) in [("ca", "/CN=Sotto Test CA"), ("other-ca", "/CN=Unrelated CA")] {
            try run(
                ["req", "-x509"] + ec + [
                    "-nodes", "-keyout", "\(name).key", "-out", "\(name).pem", "-days", "2", "-subj", subject,
                ], in: directory)
        }
        for (name, keyOptions, ext, subject) in [
            ("server-ec", ec, "server.ext", "/CN=localhost"),
            ("server-rsa", rsa, "server.ext", "/CN=localhost"),
            ("client", ec, "client.ext", "/CN=agent-1"),
        ] {
            try run(
                ["req"] + keyOptions + ["-nodes", "-keyout", "\(name).key", "-out", "\(name).csr", "-subj", subject],
                in: directory)
            try run(
                [
                    "x509", "-req", "-in", "\(name).csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial",
                    "\(Int.random(in: 1000...999_999))", "-days", "2", "-extfile", ext, "-out", "\(name).pem",
                ], in: directory)
        }
        return TestCertificates(directory: directory)
    }

    static func write(_ path: String, _ text: String) throws {
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }

    static func run(_ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw CommandFailed(
                description: "openssl \(arguments.joined(separator: " ")): "
                    + (String(data: output, encoding: .utf8) ?? ""))
        }
    }
}
