import Foundation
import SottoTestSupport
import Testing

@testable import SottoConfig

/// conf/sotto.toml and scripts/dev-certs.sh, as a developer uses them.
@Suite struct ExampleConfigTests {
    static let examplePath = repositoryRoot + "/conf/sotto.toml"
    static let scriptPath = repositoryRoot + "/scripts/dev-certs.sh"

    /// A temp copy of the repository's layout: conf/sotto.toml and .dev/certs made by the script.
    static func developerTree(exampleText: String? = nil) async throws -> TemporaryDirectory {
        let tree = try TemporaryDirectory("sotto-config")
        let text = try exampleText ?? String(contentsOfFile: examplePath, encoding: .utf8)
        try tree.write("conf/sotto.toml", text)
        let result = try await run(scriptPath, [tree.path + "/.dev/certs"])
        #expect(result.status == 0, "dev-certs.sh: \(result.output)")
        return tree
    }

    /// The key of a line `key = value` or, commented out, `# key = value`.
    static func assignment(_ line: Substring) -> (key: String, commented: Bool)? {
        let commented = line.hasPrefix("# ")
        let body = commented ? line.dropFirst(2) : line
        guard let equals = body.range(of: " = ")?.lowerBound else { return nil }
        let key = body[..<equals]
        guard !key.isEmpty, key.allSatisfy({ ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }) else {
            return nil
        }
        return (String(key), commented)
    }

    @Test func theExampleLoadsWithTheDevelopmentCertificates() async throws {
        let tree = try await Self.developerTree()
        let config = try SottoConfig.load(path: tree.path + "/conf/sotto.toml")
        try config.validated()
        let conf = tree.path + "/conf"
        #expect(config.sip.listen == HostPort(host: "127.0.0.1", port: 5061))
        #expect(config.sip.cert == conf + "/../.dev/certs/server.crt")
        #expect(config.sip.key == conf + "/../.dev/certs/server.key")
        #expect(config.sip.ca == conf + "/../.dev/certs/ca.crt")
        #expect(config.upstream.address == HostPort(host: "127.0.0.1", port: 5062))
        #expect(config.media.ip == "127.0.0.1")
        #expect(config.admin.socket == conf + "/../.dev/sotto-admin.sock")
    }

    /// Every commented-out `# key = value` line shows the default: uncommenting them all must change
    /// nothing.
    @Test func theCommentedValuesAreTheDefaults() async throws {
        let original = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        var uncommented = 0
        let lines = original.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            guard let assignment = Self.assignment(line), assignment.commented else { return String(line) }
            uncommented += 1
            return String(line.dropFirst(2))
        }
        #expect(uncommented >= 20)
        let tree = try await Self.developerTree(exampleText: lines.joined(separator: "\n"))
        let withDefaults = try SottoConfig.load(path: tree.path + "/conf/sotto.toml")
        try tree.write("conf/original.toml", original)
        var asShipped = try SottoConfig.load(path: tree.path + "/conf/original.toml")
        asShipped.file = withDefaults.file
        #expect(withDefaults == asShipped)
    }

    /// Every key in the loader's table appears under its section in the example.
    @Test func theExampleDocumentsEveryKey() throws {
        let text = try String(contentsOfFile: Self.examplePath, encoding: .utf8)
        var section = ""
        var documented: Set<String> = []
        for line in text.split(separator: "\n") {
            if line.hasPrefix("[") {
                section = String(line.dropFirst().dropLast())
                continue
            }
            if let assignment = Self.assignment(line) {
                documented.insert(section + "." + assignment.key)
            }
        }
        let keys = Set(ConfigKey.all.map(\.dotted))
        #expect(keys.subtracting(documented).isEmpty, "undocumented: \(keys.subtracting(documented).sorted())")
    }

    @Test func devCertsMakesAVerifiableSetOnceAndKeepsKeysPrivate() async throws {
        let tree = try TemporaryDirectory("sotto-config")
        let directory = tree.path + "/certs"
        let first = try await run(Self.scriptPath, [directory])
        #expect(first.status == 0)
        #expect(first.output.hasPrefix("made ") && first.output.split(separator: "\n").count == 1)
        for name in ["ca.crt", "ca.key", "server.crt", "server.key", "client.crt", "client.key"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: directory + "/" + name)
            let mode = (attributes[.posixPermissions] as? NSNumber)?.intValue
            #expect(mode == (name.hasSuffix(".key") ? 0o600 : 0o644), "\(name)")
        }
        let verify = try await run(
            "/usr/bin/openssl",
            ["verify", "-CAfile", directory + "/ca.crt", directory + "/server.crt", directory + "/client.crt"])
        #expect(verify.status == 0, "\(verify.output)")
        let text = try await run("/usr/bin/openssl", ["x509", "-in", directory + "/server.crt", "-noout", "-text"])
            .output
        #expect(text.contains("DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1"))
        #expect(text.contains("prime256v1") || text.contains("P-256"))
        let server = try Data(contentsOf: URL(fileURLWithPath: directory + "/server.crt"))

        let second = try await run(Self.scriptPath, [directory])
        #expect(second.status == 0)
        #expect(second.output.contains("already exist"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: directory + "/server.crt")) == server)
    }
}
