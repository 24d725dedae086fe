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

/// One file's part in ``AuditLog/verify(paths:expectedHead:)``.
public struct AuditFileReport: Sendable, Equatable {
    /// The file.
    public var path: String
    /// Its chain, and its link to the file before it.
    public var verification: AuditVerification
    /// Something worth saying about a file whose chain held (its first line continues a file not given).
    public var note: String?
}

/// How a file's chain begins.
enum AuditChainStart: Sendable, Equatable {
    /// With 64 zeros: the first file of a chain (or an empty file).
    case origin
    /// With an `audit-rotate` line, chained to the last line of `previousFile`.
    case rotation(previousFile: String, prev: String)
    /// With an `audit-chain-break` line: the chain in `previousFile` was found broken at start.
    case afterBreak(previousFile: String, line: String, reason: String)
}

/// What reading a file's chain found.
struct AuditWalk {
    /// Complete lines that were checked (up to the first bad one).
    var lines = 0
    /// The SHA-256 of the last good line (64 zeros for none).
    var head = SHA256.zeroHex
    /// Bytes up to and including the last newline.
    var completeBytes = 0
    /// Bytes after the last newline: a line cut short.
    var tailBytes = 0
    var start = AuditChainStart.origin
    /// The first line that is malformed or does not link, and why.
    var broken: (line: Int, reason: String)?
    /// The file could not be read.
    var readError: String?
}

extension AuditLog {
    /// Checks the chain of the audit log at `path`: every line a well-formed audit record whose `prev` is the
    /// SHA-256 of the line before (64 zeros for the first), and the file ending in a newline.
    ///
    /// A line edited, inserted or removed breaks the link of the line after it (reported with that line's
    /// number). Lines cut off the end leave a consistent chain; pass the `head` recorded elsewhere (the relay
    /// logs it with each append) as `expectedHead` to catch that too. A file that begins with an
    /// `audit-rotate` line continues another file: that link is checked only by ``verify(paths:expectedHead:)``.
    /// A file that begins with an `audit-chain-break` line is reported at line 1: the chain before it broke.
    public static func verify(path: String, expectedHead: String? = nil) -> AuditVerification {
        verify(paths: [path], expectedHead: expectedHead)[0].verification
    }

    /// Checks the chain over `paths`, oldest first (``AuditFiles/chainOrder(_:)`` puts a glob in that order):
    /// each file as ``verify(path:expectedHead:)`` does, and each file after the first beginning with an
    /// `audit-rotate` line that names the file before it and chains to its last line. `expectedHead` is for
    /// the last file. One report per file.
    public static func verify(paths: [String], expectedHead: String? = nil) -> [AuditFileReport] {
        var reports: [AuditFileReport] = []
        var previous: (name: String, head: String?)?
        for (index, path) in paths.enumerated() {
            let fd = open(path, O_RDONLY | O_CLOEXEC)
            guard fd >= 0 else {
                reports.append(
                    AuditFileReport(
                        path: path,
                        verification: .invalid(line: 0, reason: "\(path) could not be opened: \(errnoSentence(errno))"))
                )
                previous = (AuditFiles.baseName(path), nil)
                continue
            }
            let walk = Self.walk(fd: fd, path: path)
            close(fd)
            var report = AuditFileReport(
                path: path,
                verification: Self.verification(walk, expectedHead: index == paths.count - 1 ? expectedHead : nil))
            if report.verification.isValid {
                switch (walk.start, previous) {
                case (.rotation(let name, let prev), .some(let before)):
                    if name != before.name {
                        report.verification = .invalid(
                            line: 1,
                            reason: "the file continues \(name), but the file before it is \(before.name): a file is "
                                + "missing, or they are not given in order")
                    } else if let head = before.head, head != prev {
                        report.verification = .invalid(
                            line: 1,
                            reason: "prev is \(prev) but the last line of \(name) hashes to \(head): the end of "
                                + "\(name) was edited or cut off")
                    }
                case (.rotation(let name, _), nil):
                    report.note = "continues \(name), which was not given: that link is not checked"
                case (.origin, .some(let before)) where walk.lines > 0:
                    report.verification = .invalid(
                        line: 1, reason: "the file starts a new chain instead of continuing \(before.name)")
                default:
                    break
                }
            }
            reports.append(report)
            previous = (AuditFiles.baseName(path), report.verification.isValid ? walk.head : nil)
        }
        return reports
    }

    private static func verification(_ walk: AuditWalk, expectedHead: String?) -> AuditVerification {
        if let reason = walk.readError { return .invalid(line: walk.lines + 1, reason: reason) }
        if let broken = walk.broken { return .invalid(line: broken.line, reason: broken.reason) }
        if walk.tailBytes > 0 {
            return .invalid(line: walk.lines + 1, reason: "the last line has no newline: it was cut short")
        }
        if case .afterBreak(let file, let line, let reason) = walk.start {
            return .invalid(
                line: 1,
                reason: "this file starts a new chain because the one in \(file) was found broken at its line "
                    + "\(line) (\(reason)); that file was kept as it was")
        }
        if let expectedHead, expectedHead.lowercased() != walk.head {
            return .invalid(
                line: walk.lines,
                reason: "the last line's SHA-256 is \(walk.head), not the expected \(expectedHead): lines are missing "
                    + "from the end")
        }
        return .valid(lines: walk.lines, head: walk.head)
    }

    /// Reads `fd` from the start and checks each complete line's link, stopping at the first bad one.
    static func walk(fd: Int32, path: String) -> AuditWalk {
        var walk = AuditWalk()
        var pending = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65536)
        var offset = 0
        let decoder = JSONDecoder()
        while true {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(offset)) }
            if count < 0 {
                if errno == EINTR { continue }
                walk.readError = "reading \(path) failed: \(errnoSentence(errno))"
                return walk
            }
            if count == 0 { break }
            offset += count
            pending += buffer[0..<count]
            var start = 0
            while let newline = pending[start...].firstIndex(of: 0x0a) {
                let line = pending[start..<newline]
                if let reason = check(line, number: walk.lines + 1, previous: walk.head, walk: &walk, decoder: decoder)
                {
                    walk.broken = (walk.lines + 1, reason)
                    return walk
                }
                walk.lines += 1
                walk.head = SHA256.hex(line)
                walk.completeBytes += line.count + 1
                start = newline + 1
            }
            pending.removeFirst(start)
        }
        walk.tailBytes = pending.count
        return walk
    }

    /// Why `line` is not a good link after `previous`, or nil if it is (noting how the chain starts on line 1).
    private static func check(
        _ line: ArraySlice<UInt8>, number: Int, previous: String, walk: inout AuditWalk, decoder: JSONDecoder
    ) -> String? {
        let record: AuditRecord
        do {
            record = try decoder.decode(AuditRecord.self, from: Data(line))
        } catch {
            return "not an audit record (a JSON object with time, uid, role, cmd, args, result and prev)"
        }
        if number == 1 && record.cmd == AuditLog.rotateCommand {
            // Chained to the previous file's last line, which only a check over several files can see.
            walk.start = .rotation(previousFile: record.args["previous_file"] ?? "", prev: record.prev)
            return nil
        }
        if number == 1 && record.cmd == AuditLog.chainBreakCommand {
            walk.start = .afterBreak(
                previousFile: record.args["previous_file"] ?? "", line: record.args["line"] ?? "?",
                reason: record.args["reason"] ?? "")
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
