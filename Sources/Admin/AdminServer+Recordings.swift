import AdminProtocol
import Logging

#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// `record` and the recordings commands. The auditor's commands are audited on every run and every refusal, each
/// line with the uid, the recording id and the reason; the audit line is made durable before anything of a
/// recording is handed out or changed, so an access that happened is never missing from the chain.
extension AdminServer {
    /// The longest reason kept: an audit line keeps each argument whole up to this many bytes, and a reason must
    /// reach the chain whole, so a longer one is refused rather than cut.
    static let maxReasonBytes = AuditText.maxValueBytes
    /// The longest `party` pattern `recordings-list` takes.
    static let maxPartyBytes = 256
    /// The actions `record` takes.
    static let recordActions: Set = ["start", "stop", "pause", "resume"]

    func runRecordings(_ command: AdminCommand, _ arguments: [String: AdminValue], _ request: Request) -> Outcome {
        let text = arguments.mapValues(\.description)
        let call = AuditedCall(server: self, command: command.name, arguments: text, request: request)
        switch command.name {
        case "record": return record(arguments, call)
        case "recordings-list": return list(text, call)
        case "recordings-show": return show(text, call)
        case "recordings-export": return export(text, call)
        case "recordings-read": return read(arguments, call)
        case "recordings-hold", "recordings-release":
            return hold(text, hold: command.name == "recordings-hold", call)
        case "recordings-delete": return delete(text, call)
        default:
            return .reply(
                Self.errorLine(id: request.id, AdminError(.failed, "the command \(command.name) is not implemented")))
        }
    }

    // MARK: - record

    /// `record`: checked, audited, and only then passed to the relay.
    private func record(_ arguments: [String: AdminValue], _ call: AuditedCall) -> Outcome {
        let session = arguments.sessionID
        let action = arguments["action"]?.description ?? ""
        guard Self.recordActions.contains(action) else {
            return call.refuse(
                AdminError(
                    .badArguments,
                    "\"\(AuditText.cut(action, to: 64))\" is not a record action; use start, stop, pause or resume"))
        }
        guard backend.session(id: session) != nil else {
            return call.refuse(AdminError(.notFound, "there is no session \(session)"))
        }
        guard call.audit("ok") else { return call.auditFailed() }
        switch backend.recordingControl(session: session, action: action) {
        case .done(let state):
            logger.notice(
                "admin changed a call's recording",
                metadata: ["session": "\(session)", "action": "\(action)", "uid": "\(call.request.peer.uid)"])
            let now =
                state.map { $0 == "paused" ? "recording paused (a marked gap)" : "recording" } ?? "recording stopped"
            return call.reply(AdminDone("session \(session): \(now)"))
        case .noSuchSession:
            // It ended between the check and now: say so in the log too.
            return call.refuse(AdminError(.notFound, "session \(session) ended before its recording could change"))
        case .refused(let reason):
            return call.refuse(AdminError(.refused, reason))
        }
    }

    // MARK: - Reading the index

    /// `recordings-list`: the access is audited before the rows are read.
    private func list(_ text: [String: String], _ call: AuditedCall) -> Outcome {
        var from: Date?
        var to: Date?
        if let value = text["from"] {
            guard let parsed = AdminTimeArgument.parse(value) else { return call.refuse(Self.badTime("from", value)) }
            from = parsed
        }
        if let value = text["to"] {
            guard let parsed = AdminTimeArgument.parse(value, dayEnd: true) else {
                return call.refuse(Self.badTime("to", value))
            }
            to = parsed
        }
        if let from, let to, from >= to {
            return call.refuse(AdminError(.badArguments, "\"from\" must come before \"to\""))
        }
        let party = text["party"]
        if let party, party.isEmpty || party.utf8.count > Self.maxPartyBytes {
            return call.refuse(
                AdminError(.badArguments, "\"party\" must be 1 to \(Self.maxPartyBytes) bytes of pattern"))
        }
        guard call.audit("ok") else { return call.auditFailed() }
        return call.reply(backend.recordings(from: from, to: to, party: party))
    }

    /// `recordings-show`.
    private func show(_ text: [String: String], _ call: AuditedCall) -> Outcome {
        guard let id = Self.recordingID(text) else { return call.refuse(Self.badID(text)) }
        guard let recording = backend.recording(id: id) else { return call.refuse(Self.notFound(id)) }
        guard call.audit("ok") else { return call.auditFailed() }
        return call.reply(recording)
    }

    // MARK: - Export

    /// `recordings-export`: a reason, a token slot, a recording that can be exported, the audit line; then the
    /// token.
    private func export(_ text: [String: String], _ call: AuditedCall) -> Outcome {
        guard let id = Self.recordingID(text) else { return call.refuse(Self.badID(text)) }
        if let error = Self.checkReason(text) { return call.refuse(error) }
        guard let export = backend.openRecording(id: id) else { return call.refuse(Self.notFound(id)) }
        switch export.recording.state {
        case "shredded":
            // The key is gone: there is nothing an export could open.
            return call.refuse(
                AdminError(
                    .refused, "recording \(id) was shredded: its data key is destroyed, so it cannot be exported"))
        case "recording":
            return call.refuse(
                AdminError(.refused, "recording \(id) is still being recorded; export it once the call has ended"))
        default: break
        }
        // The slot is taken before the audit line, so a refusal for the bound is the only line written; a token
        // whose audit line could not be written is spent at once.
        let token: String
        switch exportGrants.issue(connection: call.request.connection, recordingID: id, size: export.sizeBytes) {
        case .success(let issued): token = issued
        case .failure(let full):
            let message: String
            switch full {
            case .connection(let most):
                message =
                    "this connection already holds \(most) export tokens, the most one may; read one to its end or "
                    + "reconnect"
            case .server(let most):
                message = "the relay already holds \(most) export tokens, the most it keeps; try again later"
            }
            count("exports", log: "admin socket: an export was refused by a limit: \(message)")
            return call.refuse(AdminError(.rateLimited, message))
        }
        guard call.audit("ok") else {
            exportGrants.spend(token)
            return call.auditFailed()
        }
        logger.notice(
            "admin exported a recording",
            metadata: ["recording": "\(id)", "uid": "\(call.request.peer.uid)", "bytes": "\(export.sizeBytes)"])
        let lifetime = Int(exportGrants.lifetime / 1_000_000_000)
        return call.reply(
            AdminRecordingExportGrant(
                export: export, token: token, expiresInSeconds: lifetime, maxReadBytes: AdminRecordingBytes.maxLength))
    }

    /// `recordings-read`: bytes of the file an export granted, bounded by the read limit and the file's size
    /// before anything is allocated. Reads are not audited (the export was); refusals are.
    private func read(_ arguments: [String: AdminValue], _ call: AuditedCall) -> Outcome {
        let token = arguments["token"]?.description ?? ""
        let offset = UInt64(arguments["offset"].flatMap(\.integer) ?? 0)
        let length = arguments["length"].flatMap(\.integer) ?? 0
        let grant: AdminExportGrants.Grant
        switch exportGrants.grant(token, connection: call.request.connection) {
        case .success(let found): grant = found
        case .failure(.notHere):
            return call.refuse(
                AdminError(
                    .forbidden,
                    "the token is not one this connection holds: a token from recordings-export is good only on the "
                        + "connection that asked for it"))
        case .failure(.expired):
            return call.refuse(AdminError(.forbidden, "the token expired; export the recording again"))
        }
        let place = call.with(["id": grant.recordingID])
        guard (1...AdminRecordingBytes.maxLength).contains(length) else {
            let message = "\"length\" must be 1 to \(AdminRecordingBytes.maxLength) bytes, not \(length)"
            count("read length", log: "admin socket: a read was refused by a limit: \(message)")
            return place.refuse(AdminError(.badArguments, message))
        }
        guard offset <= grant.size else {
            return place.refuse(
                AdminError(.badArguments, "offset \(offset) is past the end of the file (\(grant.size) bytes)"))
        }
        let wanted = Int(min(UInt64(length), grant.size - offset))
        var bytes: [UInt8] = []
        if wanted > 0 {
            guard let read = backend.readRecording(id: grant.recordingID, offset: offset, length: wanted) else {
                exportGrants.spend(token)
                return place.refuse(
                    AdminError(.notFound, "recording \(grant.recordingID)'s file can no longer be read"))
            }
            bytes = read.count > wanted ? Array(read.prefix(wanted)) : read
        }
        let end = offset + UInt64(bytes.count) >= grant.size
        // The pass through the file is done: the token is spent (reading again is another, audited, export).
        if end { exportGrants.spend(token) }
        return call.reply(AdminRecordingBytes(offset: offset, data: Data(bytes).base64EncodedString(), end: end))
    }

    // MARK: - Hold, release, delete

    /// `recordings-hold` and `recordings-release`: audited, then carried out.
    private func hold(_ text: [String: String], hold: Bool, _ call: AuditedCall) -> Outcome {
        guard let id = Self.recordingID(text) else { return call.refuse(Self.badID(text)) }
        if let error = Self.checkReason(text) { return call.refuse(error) }
        guard backend.recording(id: id) != nil else { return call.refuse(Self.notFound(id)) }
        guard call.audit("ok") else { return call.auditFailed() }
        return finish(backend.holdRecording(id: id, hold: hold, reason: text["reason"] ?? ""), id: id, call)
    }

    /// `recordings-delete`: a held recording is refused here, before the audit line says `ok` (the relay refuses it
    /// too, should the hold come between the check and the shred).
    private func delete(_ text: [String: String], _ call: AuditedCall) -> Outcome {
        guard let id = Self.recordingID(text) else { return call.refuse(Self.badID(text)) }
        if let error = Self.checkReason(text) { return call.refuse(error) }
        guard let recording = backend.recording(id: id) else { return call.refuse(Self.notFound(id)) }
        if recording.legalHold {
            return call.refuse(
                AdminError(.refused, "recording \(id) is on legal hold; release it (with a reason) before deleting it"))
        }
        guard call.audit("ok") else { return call.auditFailed() }
        return finish(backend.deleteRecording(id: id, reason: text["reason"] ?? ""), id: id, call)
    }

    /// The reply for a hold, release or delete the relay carried out (or refused after the audit line: a second
    /// line says so).
    private func finish(_ result: AdminRecordingActionResult, id: String, _ call: AuditedCall) -> Outcome {
        switch result {
        case .done(let recording):
            logger.notice(
                "admin changed a recording",
                metadata: ["recording": "\(id)", "cmd": "\(call.command)", "uid": "\(call.request.peer.uid)"])
            return call.reply(recording)
        case .notFound: return call.refuse(Self.notFound(id))
        case .refused(let reason): return call.refuse(AdminError(.refused, reason))
        }
    }

    // MARK: - Checks

    /// The `id` argument if it looks like a recording id: 1 to 64 letters, digits, `-` or `_` (the index's ids are
    /// 26 base32 characters or a UUID), so nothing else reaches the backend or the log.
    private static func recordingID(_ text: [String: String]) -> String? {
        guard let id = text["id"], (1...64).contains(id.utf8.count),
            id.utf8.allSatisfy({ byte in
                (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                    || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte)
                    || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
                    || byte == UInt8(ascii: "_")
            })
        else { return nil }
        return id
    }

    private static func badID(_ text: [String: String]) -> AdminError {
        AdminError(
            .badArguments,
            "\(JSONText.string(AuditText.cut(text["id"] ?? "", to: 64))) is not a recording id "
                + "(1 to 64 letters, digits, - or _)")
    }

    /// Nil if `reason` is there and fit for the audit log; else the refusal.
    private static func checkReason(_ text: [String: String]) -> AdminError? {
        let reason = text["reason"] ?? ""
        if reason.allSatisfy(\.isWhitespace) {
            return AdminError(.badArguments, "a reason is required: say why (it goes into the audit log)")
        }
        if reason.utf8.count > maxReasonBytes {
            return AdminError(
                .badArguments,
                "the reason is \(reason.utf8.count) bytes; the audit log keeps \(maxReasonBytes), so say it shorter")
        }
        return nil
    }

    private static func notFound(_ id: String) -> AdminError {
        AdminError(.notFound, "there is no recording \(id)")
    }

    private static func badTime(_ name: String, _ value: String) -> AdminError {
        AdminError(
            .badArguments,
            "\"\(name)\" must be a UTC date (2026-12-01) or time (2026-12-01T09:00:00Z), not "
                + JSONText.string(AuditText.cut(value, to: 64)))
    }
}

/// One recordings request on its way: its audit lines carry the uid, the command and its arguments (the recording
/// id and the reason among them, the token never), and every refusal is written whatever the refusal limit.
struct AuditedCall {
    let server: AdminServer
    let command: String
    var arguments: [String: String]
    let request: AdminServer.Request

    init(server: AdminServer, command: String, arguments: [String: String], request: AdminServer.Request) {
        self.server = server
        self.command = command
        self.arguments = arguments
        if self.arguments["token"] != nil { self.arguments["token"] = nil }
        self.request = request
    }

    /// The same call with more arguments for its audit lines (the recording a token reads).
    func with(_ more: [String: String]) -> AuditedCall {
        var copy = self
        copy.arguments.merge(more) { _, new in new }
        return copy
    }

    /// Writes the line; false if it could not be made durable.
    func audit(_ result: String) -> Bool {
        server.audit(
            peer: request.peer, role: request.role, command: command, arguments: arguments, result: result,
            always: true)
    }

    /// A refusal: audited, then answered (or `audit_failed` if the line could not be written).
    func refuse(_ error: AdminError) -> AdminServer.Outcome {
        guard audit(error.code) else { return auditFailed() }
        return .refused(AdminServer.errorLine(id: request.id, error))
    }

    func auditFailed() -> AdminServer.Outcome {
        .reply(AdminServer.errorLine(id: request.id, AdminServer.auditFailed))
    }

    func reply(_ result: some Encodable) -> AdminServer.Outcome {
        .reply(AdminServer.resultLine(id: request.id, result))
    }
}
