import Foundation
import Glibc

/// A fresh directory under /tmp, removed with everything in it when the value goes away.
///
/// Mode 0755, so a test can run a client as another user against a socket inside it and meet the socket's own
/// permission, not the directory's. Under /tmp rather than `$TMPDIR`, so a socket path inside stays well within
/// the 108 bytes a Unix socket address holds.
public final class TemporaryDirectory: Sendable {
    /// The directory's absolute path.
    public let path: String

    /// Makes `/tmp/<label>-XXXXXX`.
    public init(_ label: String = "sotto-test") throws {
        var template = Array("/tmp/\(label)-XXXXXX".utf8CString)
        let made = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) != nil }
        guard made else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        chmod(path, 0o755)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// The absolute path of `name` inside the directory (nothing is created).
    public func file(_ name: String) -> String { path + "/" + name }

    /// Writes `text` to `relative` (making directories on the way) and returns the absolute path.
    @discardableResult
    public func write(_ relative: String, _ text: String = "dummy\n") throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try text.write(toFile: full, atomically: true, encoding: .utf8)
        return full
    }

    /// Makes the directory `relative` (and its parents) and returns its absolute path.
    @discardableResult
    public func makeDirectory(_ relative: String) throws -> String {
        let full = file(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}
