import AdminProtocol
import Transport

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

#if canImport(Glibc)
    import Glibc
#endif

/// The outcome of ``AuditLog/verify(path:expectedHead:)``.
public enum AuditVerification: Sendable, Equatable {
    /// Every line is well formed and links to the one before; `head` is the last line's SHA-256.
    case valid(lines: Int, head: String)
    /// Line `line` (1-based) is the first that is malformed or does not link to the one before.
    case invalid(line: Int, reason: String)

    /// Whether the chain held.
    public var isValid: Bool {
        if case .valid = self { return true }
        return false
    }
}

extension AuditLog {
    /// Checks the chain of the audit log at `path`: every line a well-formed audit record whose `prev` is the
    /// SHA-256 of the line before (64 zeros for the first), and the file ending in a newline.
    ///
    /// A line edited, inserted or removed breaks the link of the line after it (reported with that line's
    /// number). Lines cut off the end leave a consistent chain; pass the `head` recorded elsewhere (the relay
    /// logs it with each append) as `expectedHead` to catch that too.
    public static func verify(path: String, expectedHead: String? = nil) -> AuditVerification {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return .invalid(line: 0, reason: "\(path) could not be opened: \(errnoSentence(errno))") }
        defer { close(fd) }

        var previous = SHA256.zeroHex
        var number = 0
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        let decoder = JSONDecoder()
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                return .invalid(line: number + 1, reason: "reading \(path) failed: \(errnoSentence(errno))")
            }
            if count == 0 { break }
            pending += buffer[0..<count]
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0a) {
                number += 1
                let line = pending[start..<newline]
                if let reason = check(line, previous: previous, decoder: decoder) {
                    return .invalid(line: number, reason: reason)
                }
                previous = SHA256.hex(line)
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty {
            return .invalid(line: number + 1, reason: "the last line has no newline: it was cut short")
        }
        if let expectedHead, expectedHead.lowercased() != previous {
            return .invalid(
                line: number,
                reason: "the last line's SHA-256 is \(previous), not the expected \(expectedHead): lines are missing "
                    + "from the end")
        }
        return .valid(lines: number, head: previous)
    }

    /// Why `line` is not a good link after `previous`, or nil if it is.
    private static func check(_ line: ArraySlice<UInt8>, previous: String, decoder: JSONDecoder) -> String? {
        let record: AuditRecord
        do {
            record = try decoder.decode(AuditRecord.self, from: Data(line))
        } catch {
            return "not an audit record (a JSON object with time, uid, role, cmd, args, result and prev)"
        }
        guard record.prev == previous else {
            return "prev is \(record.prev) but the line before hashes to \(previous): a line was edited, "
                + "removed or inserted before this one"
        }
        return nil
    }
}

/// One audit line as read back.
private struct AuditRecord: Decodable {
    var time: String
    var uid: UInt32
    var role: AdminRole?
    var cmd: String
    var args: [String: String]
    var result: String
    var prev: String

    enum CodingKeys: String, CodingKey {
        case time, uid, role, cmd, args, result, prev
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        time = try container.decode(String.self, forKey: .time)
        uid = try container.decode(UInt32.self, forKey: .uid)
        // Present, as a role or null.
        role = try container.decodeNil(forKey: .role) ? nil : container.decode(AdminRole.self, forKey: .role)
        cmd = try container.decode(String.self, forKey: .cmd)
        args = try container.decode([String: String].self, forKey: .args)
        result = try container.decode(String.self, forKey: .result)
        prev = try container.decode(String.self, forKey: .prev)
    }
}
