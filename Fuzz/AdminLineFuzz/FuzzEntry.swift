// libFuzzer target for the admin protocol's request lines: each input is one line as a client would send it,
// run through `AdminServer.handle` (decode the JSON, look the command up, check the role and the arguments, audit
// what changes state, run it against a canned backend). No connection is made: the server is built once (its
// socket is bound but never accepts) and each input gets a fresh per-connection limiter, so the rate limits do
// not turn later inputs away. Invariants: every reply is one line of JSON ending in a newline, the id it echoes is
// the request's, and a refusal is an error reply.

import Admin
import AdminProtocol
import Foundation
import Logging
import SottoTestSupport
import Transport

/// Reads delegate to the fixture backend; `terminate` only reports whether the session exists, so the backend's
/// state stays the same from one input to the next (the fixture's would shrink, and record every id).
final class StillBackend: AdminBackend {
    let fixture = FakeAdminBackend(sessions: 2, clock: ManualClock())

    func version() -> AdminVersion { fixture.version() }
    func sessions() -> [AdminSession] { fixture.sessions() }
    func session(id: UInt64) -> AdminSession? { fixture.session(id: id) }
    func terminate(session id: UInt64) -> Bool { fixture.session(id: id) != nil }
    func registrations() -> [AdminRegistration] { fixture.registrations() }
    func stats() -> AdminStats { fixture.stats() }
    func setLogLevel(_ level: String) -> Bool {
        ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(level)
    }
    func effectiveConfig() -> AdminConfig { fixture.effectiveConfig() }

    // Recordings: reads go to the fixture's index; what would change it only says what it would have done.
    func recordingControl(session: UInt64, action: String) -> AdminRecordingControlResult {
        fixture.session(id: session) == nil ? .noSuchSession : .done(state: action == "stop" ? nil : "recording")
    }
    func recordings(from: Date?, to: Date?, party: String?) -> [AdminRecording] {
        fixture.recordings(from: from, to: to, party: party)
    }
    func recording(id: String) -> AdminRecording? { fixture.recording(id: id) }
    func openRecording(id: String) -> AdminRecordingExport? { fixture.openRecording(id: id) }
    func readRecording(id: String, offset: UInt64, length: Int) -> [UInt8]? {
        fixture.readRecording(id: id, offset: offset, length: length)
    }
    func holdRecording(id: String, hold: Bool, reason: String) -> AdminRecordingActionResult {
        fixture.recording(id: id).map { .done($0) } ?? .notFound
    }
    func deleteRecording(id: String, reason: String) -> AdminRecordingActionResult {
        fixture.recording(id: id).map { .done($0) } ?? .notFound
    }
}

/// The run's private directory under /dev/shm (audit lines are fsynced; on tmpfs that is cheap), removed at exit.
let directory: String = {
    let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
    let path = "\(base)/sotto-admin-fuzz-\(getpid())"
    try? FileManager.default.removeItem(atPath: path)
    try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: false)
    chmod(path, 0o700)
    atexit { try? FileManager.default.removeItem(atPath: directory) }
    return path
}()

/// One server for the whole run. Its audit log rotates at 1 MiB; the rotated files are removed now and then
/// (``removeRotatedAuditFiles()``), so a long run's disk use stays bounded.
let server: AdminServer = {
    let configuration = AdminServerConfiguration(
        socketPath: "\(directory)/admin.sock", access: AdminAccess(),
        auditLogPath: "\(directory)/audit.log", auditMaxBytes: 1 << 20)
    do {
        return try AdminServer(
            configuration: configuration, backend: StillBackend(),
            logger: Logger(label: "sotto.admin.fuzz") { _ in SwiftLogNoOpLogHandler() })
    } catch {
        fatalError("the admin server could not be set up in \(directory): \(error)")
    }
}()

nonisolated(unsafe) var inputs = 0

/// Removes the audit log's rotated files (`audit.log.<stamp>`), every 100,000 inputs.
func removeRotatedAuditFiles() {
    inputs += 1
    guard inputs % 100_000 == 0 else { return }
    for name in (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    where name.hasPrefix("audit.log.") {
        try? FileManager.default.removeItem(atPath: "\(directory)/\(name)")
    }
}

let peer = PeerCredentials(pid: 1, uid: 1000, gid: 1000)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    removeRotatedAuditFiles()
    var line = Array(UnsafeBufferPointer(start: data, count: size))
    // What the connection hands over: no newline, no NUL (it closes on one), no trailing CR.
    if line.contains(10) || line.contains(0) { return 0 }
    if line.last == 13 { line.removeLast() }
    // The role comes from the length, so each role meets every kind of line without a prefix byte in the seeds.
    let role = [AdminRole.viewer, .operator, .admin, .auditor][size % 4]
    let limiter = AdminConnectionLimiter(
        refusals: server.configuration.refusalLimit, snapshots: server.configuration.snapshotLimit)
    let requestID = (try? JSONDecoder().decode(RequestID.self, from: Data(line)))?.id
    switch server.handle(line, peer: peer, role: role, limiter: limiter) {
    case .reply(let bytes):
        checkReply(bytes, requestID: requestID, error: nil)
    case .refused(let bytes):
        checkReply(bytes, requestID: requestID, error: true)
    case .watch(let id, let interval):
        precondition(id == requestID, "watch must start under the request's id")
        precondition(interval >= server.configuration.minimumWatchInterval, "a watch interval below the minimum")
    }
    return 0
}

/// The request's id as the server reads it: with the same decoder (JSONSerialization disagrees with it on some
/// inputs, such as a string holding invalid UTF-8, which the decoder repairs and JSONSerialization refuses).
struct RequestID: Decodable {
    var id: Int?

    enum CodingKeys: String, CodingKey { case id }

    init(from decoder: any Decoder) throws {
        id = try? decoder.container(keyedBy: CodingKeys.self).decode(Int.self, forKey: .id)
    }
}

/// A reply is one line of JSON: an object with the request's id (or null when it had none) and either
/// `result` or `error`.
func checkReply(_ bytes: [UInt8], requestID: Int?, error expectError: Bool?) {
    precondition(bytes.last == 10, "a reply must end with a newline")
    let newlines = bytes.reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
    precondition(newlines == 1, "a reply must be exactly one line")
    let parsed = try? JSONSerialization.jsonObject(with: Data(bytes.dropLast()), options: [.fragmentsAllowed])
    guard let object = parsed as? [String: Any] else { preconditionFailure("a reply must be a JSON object") }
    let isError = object["error"] != nil
    precondition(isError != (object["result"] != nil), "a reply has either a result or an error")
    if expectError == true { precondition(isError, "a refusal must be an error reply") }
    if let id = object["id"] as? Int {
        precondition(id == requestID, "a reply echoes the request's id")
    } else {
        precondition(object["id"] is NSNull, "a reply's id is the request's or null")
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("AdminLineFuzz_main")  // SwiftPM links executables with --defsym main=<target>_main
public func adminLineFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOne($0, $1) }
}
