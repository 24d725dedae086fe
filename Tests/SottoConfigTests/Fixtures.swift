import Foundation
import SottoConfig
import SottoTestSupport
import Testing

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A temp directory holding dummy `certs/server.crt`, `certs/server.key`, `certs/ca.crt`,
/// `certs/client.crt` and `certs/client.key` (the loader checks they exist and can be read; it does not
/// parse them).
func directoryWithCertificates() throws -> TemporaryDirectory {
    let directory = try TemporaryDirectory("sotto-config")
    for name in ["server.crt", "server.key", "ca.crt", "client.crt", "client.key"] {
        try directory.write("certs/" + name)
    }
    return directory
}

/// A minimal valid document, `sotto.toml` in a directory with the certificates, with `changes`
/// (`"section.key": "TOML literal"`) replacing or adding keys; a nil literal removes the key.
func document(_ changes: [String: String?] = [:]) -> String {
    var keys: [String: String] = [
        "sip.cert": "\"certs/server.crt\"",
        "sip.key": "\"certs/server.key\"",
        "sip.ca": "\"certs/ca.crt\"",
        "upstream.address": "\"pbx.example.com:5061\"",
    ]
    for (key, value) in changes { keys[key] = value }
    var sections: [String: [String]] = [:]
    for (dotted, value) in keys {
        let parts = dotted.split(separator: ".", maxSplits: 1)
        sections[String(parts[0]), default: []].append("\(parts[1]) = \(value)")
    }
    return sections.keys.sorted().map { name in
        "[\(name)]\n" + sections[name, default: []].sorted().joined(separator: "\n") + "\n"
    }.joined(separator: "\n")
}

/// Writes `text` as `sotto.toml` into `directory` and loads it.
func load(_ text: String, in directory: TemporaryDirectory) throws(ConfigError) -> SottoConfig {
    let path: String
    do {
        path = try directory.write("sotto.toml", text)
    } catch {
        Issue.record("could not write the config file: \(error)")
        return SottoConfig.defaults
    }
    return try SottoConfig.load(path: path)
}

/// The error loading (and then validating) `text` gives, recording an issue when there is none.
func loadError(
    _ text: String, in directory: TemporaryDirectory, sourceLocation: SourceLocation = #_sourceLocation
) -> ConfigError? {
    do {
        let config = try load(text, in: directory)
        try config.validated()
        Issue.record("expected an error, but the config loaded", sourceLocation: sourceLocation)
        return nil
    } catch {
        return error
    }
}

/// Runs `executable` with `arguments`; returns its exit status and what it wrote to stdout and stderr.
func run(_ executable: String, _ arguments: [String]) async throws -> (status: Int32, output: String) {
    let result = try await ChildProcess.run(executable, arguments, stderr: .standardOutput)
    return (result.status, result.stdout)
}
