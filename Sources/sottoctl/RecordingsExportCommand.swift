import AdminProtocol
import ArgumentParser
import Crypto
import Foundation
import RecordingExport

#if canImport(Glibc)
    import Glibc
#endif

/// `sottoctl recordings export ID --reason TEXT --identity KEYFILE --out FILE [--to-age RECIPIENT] [--format F]`.
///
/// The relay hands out only what it holds: the sealed file and the data key sealed to the officers' keys. This
/// command fetches both into memory over the admin socket (`recordings-export`, then `recordings-read` until the end
/// of the file), checks the file against the index's size and SHA-256, and opens, renders and writes it here,
/// where the identity is. Everything that can be checked without the relay is checked before the relay is asked,
/// so a typo does not cost an audited export.
struct RecordingsExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Export a recording as Ogg Opus or WAV (or an age file of it), opened with your identity.",
        discussion: """
            Caller (the PBX leg) on the left channel, agent on the right. The format comes from --out (.ogg, \
            .opus or .wav; with --to-age, the name before .age) unless --format says it. The output file is made \
            with mode 0600 and never overwritten. A recording that was cut (a crash) is exported up to the cut, and \
            the output says so.
            """)

    /// The largest sealed file fetched into memory (about 15 hours of PCMU).
    static let maxFileBytes: UInt64 = 1 << 30

    @Argument(help: "The recording id (from `sottoctl recordings list`).")
    var id: String

    @OptionGroup var reason: ReasonOption

    @Option(help: ArgumentHelp("Your recording identity (private key) file.", valueName: "keyfile"))
    var identity: String

    @Option(help: ArgumentHelp("The file to write; it must not exist.", valueName: "file"))
    var out: String

    @Option(
        name: .customLong("to-age"),
        help: ArgumentHelp(
            "Write an age v1 file to this recipient (age1...) instead of plain audio.", valueName: "recipient"))
    var ageRecipient: String?

    @Option(help: ArgumentHelp("ogg or wav (default: from --out).", valueName: "format"))
    var format: String?

    @OptionGroup var socket: SocketOptions
    @OptionGroup var output: OutputOptions

    /// What `--json` prints.
    struct Summary: Codable {
        var id: String
        var out: String
        var format: String
        var age: Bool
        var bytes: Int
        var durationSeconds: Double
        var cut: Bool
        var verdict: String
        var markers: [String]
    }

    func run() throws {
        try Sottoctl.failing {
            let format = try chosenFormat()
            try checkLocally()
            let client = try AdminClient(path: socket.path)
            let (export, container) = try Self.fetch(id: id, reason: reason.reason, client: client)
            let result = try exportLocally(
                LocalExportRequest(
                    export: export, container: container, identityPath: identity, format: format,
                    ageRecipient: ageRecipient))
            try Self.write(result.bytes, to: out)
            let summary = Summary(
                id: export.recording.id, out: out, format: format.rawValue, age: ageRecipient != nil,
                bytes: result.bytes.count, durationSeconds: result.durationSeconds, cut: result.cut,
                verdict: result.verdict, markers: result.markers)
            if output.json {
                Output.json(summary)
            } else {
                Output.lines(Self.describe(summary))
            }
        }
    }

    /// The format asked for: `--format`, else from the output file's name.
    func chosenFormat() throws -> ExportFormat {
        if let format {
            guard let chosen = ExportFormat(rawValue: format.lowercased()) else {
                throw SottoctlError(.export, "--format must be ogg or wav, not \(format)")
            }
            return chosen
        }
        var name = out
        if ageRecipient != nil, name.lowercased().hasSuffix(".age") { name.removeLast(4) }
        guard let chosen = ExportFormat(fileName: name) else {
            throw SottoctlError(
                .export, "cannot tell the format from \(out): name it .ogg, .opus or .wav, or pass --format ogg|wav")
        }
        return chosen
    }

    /// The checks that need no relay: a reason, a readable identity, an output path that does not exist yet, a
    /// recipient that looks like one.
    func checkLocally() throws {
        if reason.reason.allSatisfy(\.isWhitespace) {
            throw SottoctlError(.export, "--reason must say why (it goes into the relay's audit log)")
        }
        guard access(identity, R_OK) == 0 else {
            throw SottoctlError(.export, "cannot read the identity file \(identity): \(AdminClient.describe(errno))")
        }
        var status = stat()
        if lstat(out, &status) == 0 {
            throw SottoctlError(.export, "\(out) exists; sottoctl does not overwrite an export (choose another name)")
        }
        if let ageRecipient, !ageRecipient.hasPrefix("age1") {
            throw SottoctlError(.export, "--to-age needs an age recipient (age1...), not \(ageRecipient)")
        }
    }

    /// The export's row and keys, and the whole sealed file, checked against the row's size and SHA-256.
    static func fetch(id: String, reason: String, client: AdminClient) throws -> (AdminRecordingExport, [UInt8]) {
        let grant = try client.call(
            "recordings-export", args: ["id": .string(id), "reason": .string(reason)],
            as: AdminRecordingExportGrant.self)
        let size = grant.export.sizeBytes
        // Checked before anything is allocated: the file is held in memory whole.
        guard size <= maxFileBytes else {
            throw SottoctlError(
                .export,
                "recording \(id) is \(Format.count(size)) bytes; sottoctl exports at most "
                    + "\(Format.count(maxFileBytes)) bytes in memory")
        }
        let step = max(1, min(grant.maxReadBytes, AdminRecordingBytes.maxLength))
        var container = [UInt8]()
        container.reserveCapacity(Int(size))
        while true {
            let piece = try client.call(
                "recordings-read",
                args: [
                    "token": .string(grant.token), "offset": .int(container.count), "length": .int(step),
                ], as: AdminRecordingBytes.self)
            guard piece.offset == UInt64(container.count), let data = Data(base64Encoded: piece.data) else {
                throw SottoctlError(.badAnswer, "the relay sent recording \(id)'s bytes out of place or not in base64")
            }
            guard UInt64(container.count + data.count) <= size, data.count <= step else {
                throw SottoctlError(.badAnswer, "the relay sent more of recording \(id) than its size")
            }
            container.append(contentsOf: data)
            if piece.end { break }
            guard !data.isEmpty else {
                throw SottoctlError(.badAnswer, "the relay sent no bytes of recording \(id) before its end")
            }
        }
        guard UInt64(container.count) == size else {
            throw SottoctlError(
                .export, "recording \(id) ended after \(container.count) of its \(size) bytes; export it again")
        }
        // The file the index described, not another (a restored backup, a copy from elsewhere).
        if let expected = grant.export.recording.sha256 {
            let actual = SHA256.hash(data: container).map { String(format: "%02x", $0) }.joined()
            guard actual == expected.lowercased() else {
                throw SottoctlError(
                    .export,
                    "recording \(id)'s file does not match the index's SHA-256 (\(expected.prefix(16))…): it is not "
                        + "the file that was recorded")
            }
        }
        return (grant.export, container)
    }

    /// Writes `bytes` to a new file at `path`, mode 0600, synced; a file that is there already (or a symlink) is
    /// refused, and a half-written file removed.
    static func write(_ bytes: [UInt8], to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else {
            throw SottoctlError(.export, "cannot create \(path): \(AdminClient.describe(errno))")
        }
        var offset = 0
        var failure: Int32?
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                failure = errno
                break
            }
            offset += written
        }
        if failure == nil, fsync(descriptor) != 0 { failure = errno }
        close(descriptor)
        if let failure {
            unlink(path)
            throw SottoctlError(.export, "cannot write \(path): \(AdminClient.describe(failure))")
        }
    }

    /// What people see after an export.
    static func describe(_ summary: Summary) -> [String] {
        var lines = [
            "exported recording \(summary.id) to \(summary.out): \(summary.format)"
                + (summary.age ? " in an age file" : "") + ", \(Format.duration(summary.durationSeconds)), "
                + "\(Format.count(summary.bytes)) bytes"
        ]
        if summary.cut { lines.append("the recording was cut: \(summary.verdict)") }
        lines += summary.markers.map { "marker: \($0)" }
        return lines
    }
}
