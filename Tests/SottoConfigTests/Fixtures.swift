import Foundation
import SottoConfig
import Testing

/// A directory under the system temp directory, removed when the test is done with it.
final class TempDirectory {
    let path: String

    init() throws {
        let pattern = (NSTemporaryDirectory() as NSString).appendingPathComponent("sotto-config-XXXXXX")
        var template = Array(pattern.utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(.init(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// Writes `text` to `relative` (making directories on the way) and returns the absolute path.
    @discardableResult
    func write(_ relative: String, _ text: String = "dummy\n") throws -> String {
        let full = path + "/" + relative
        let parent = (full as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    /// Makes the directory `relative` and returns its absolute path.
    @discardableResult
    func makeDirectory(_ relative: String) throws -> String {
        let full = path + "/" + relative
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

/// The repository root, found from this file's path.
let repositoryRoot: String = {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path
}()

/// A temp directory holding dummy `certs/server.crt`, `certs/server.key`, `certs/ca.crt`,
/// `certs/client.crt` and `certs/client.key` (the loader checks they exist and can be read; it does not
/// parse them).
func directoryWithCertificates() throws -> TempDirectory {
    let directory = try TempDirectory()
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
func load(_ text: String, in directory: TempDirectory) throws(ConfigError) -> SottoConfig {
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
    _ text: String, in directory: TempDirectory, sourceLocation: SourceLocation = #_sourceLocation
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
func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
