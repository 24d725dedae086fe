import Admin
import AdminProtocol
import Foundation
import Media
import Synchronization

/// A small in-memory relay behind a real admin server, for the admin tests and `sottoctl`'s (through
/// `admin-fixture-server`): sessions whose packet counters grow with time (50 packets per second per direction),
/// one registration, stats, a configuration. `terminate` removes a session, `setLogLevel` records the level. Only
/// this backend is canned: the socket, roles and audit log around it are real.
///
/// Sessions 1 and 2 are the ones docs/admin-protocol.md shows; more (`sessions:`) are made the same way. The
/// figures move with `clock`: a ``ManualClock`` holds them still for tests that compare them exactly.
public final class FakeAdminBackend: AdminBackend {
    /// What `version` reports as Sotto's version.
    public static let version = "0.0.0-fixture"

    private struct Call {
        var callID: String
        var from: String
        var to: String
        var started: UInt64
    }

    private struct State {
        var calls: [UInt64: Call]
        var terminated: [UInt64] = []
        var logLevel = "info"
    }

    private let clock: any MediaClock
    private let started: UInt64
    private let callsStarted: Int
    private let registrationsDelay: Duration?
    private let state: Mutex<State>
    /// The recordings and each session's recording state.
    public let recordings: FakeRecordings

    /// A relay with `sessions` live sessions (ids 1...sessions). `registrationsDelay` makes `registrations()`
    /// block that long, to show that one slow call does not hold up other clients.
    /// `recordings` stands in for the relay's recording vault.
    public init(
        sessions: Int = 2, registrationsDelay: Duration? = nil, clock: any MediaClock = SystemMediaClock(),
        recordings: FakeRecordings = FakeRecordings()
    ) {
        self.recordings = recordings
        let now = clock.now()
        self.clock = clock
        started = now
        var calls: [UInt64: Call] = [:]
        for index in 0..<UInt64(max(sessions, 0)) {
            calls[index + 1] = Self.call(index + 1, started: now)
        }
        state = Mutex(State(calls: calls))
        callsStarted = sessions
        self.registrationsDelay = registrationsDelay
    }

    /// The level last set through `log-level`.
    public var logLevel: String { state.withLock { $0.logLevel } }
    /// The sessions ended through `terminate`, in order.
    public var terminated: [UInt64] { state.withLock { $0.terminated } }
    /// The ids of the live sessions.
    public var liveIDs: Set<UInt64> { state.withLock { Set($0.calls.keys) } }

    public func version() -> AdminVersion {
        AdminVersion(version: Self.version, startedAt: "2026-11-29T23:00:00Z", srtpCrypto: "openssl")
    }

    public func sessions() -> [AdminSession] {
        let now = clock.now()
        return state.withLock { state in
            state.calls.keys.sorted().map { id in Self.session(id: id, state.calls[id]!, now: now) }
        }.map(withRecording)
    }

    public func session(id: UInt64) -> AdminSession? {
        let now = clock.now()
        return state.withLock { state in state.calls[id].map { Self.session(id: id, $0, now: now) } }.map(
            withRecording)
    }

    private func withRecording(_ session: AdminSession) -> AdminSession {
        var session = session
        session.recording = recordings.sessionState(session.id)
        return session
    }

    public func terminate(session id: UInt64) -> Bool {
        state.withLock { state in
            guard state.calls.removeValue(forKey: id) != nil else { return false }
            state.terminated.append(id)
            return true
        }
    }

    public func registrations() -> [AdminRegistration] {
        if let registrationsDelay {
            let (seconds, attoseconds) = registrationsDelay.components
            Thread.sleep(forTimeInterval: Double(seconds) + Double(attoseconds) / 1e18)
        }
        return [
            AdminRegistration(
                aor: "sip:1001@example.com", contact: "<sip:1001@192.0.2.10:50612;transport=tls>", flow: 1,
                source: "192.0.2.10:50612", expiresInSeconds: 3600)
        ]
    }

    public func stats() -> AdminStats {
        let sessions = sessions()
        let uptime = Double(clock.now() - started) / 1e9
        var drops: [String: UInt64] = [:]
        for leg in sessions.flatMap(\.legs) {
            for (reason, count) in leg.drops { drops[reason, default: 0] += count }
        }
        let ended = state.withLock { $0.terminated.count }
        var stats = AdminStats(
            uptimeSeconds: uptime, calls: sessions.count, sessions: sessions.count, callsStarted: callsStarted,
            callsEnded: ended, srtpRefusals: 1,
            packetsRelayed: sessions.flatMap(\.legs).reduce(0) { $0 + $1.packetsOut },
            bytesRelayed: sessions.flatMap(\.legs).reduce(0) { $0 + $1.bytesOut }, drops: drops,
            tlsConnectionsOpen: 3, tlsConnectionsAccepted: 5, tlsHandshakeFailures: 1, portsInUse: sessions.count * 4,
            portsFree: max(0, 1000 - sessions.count * 4), loopSessions: [sessions.count, 0], pbxConnected: true)
        stats.limitRefusals = ["requests_per_connection": 10, "calls_per_aor": 2]
        stats.loops = [
            AdminLoop(
                polling: true, wakeups: 10, ticks: 6, packets: 23, pollingEntries: 2, bucketBounds: [0, 1, 2, 4],
                buckets: [1, 2, 3, 3, 1]),
            AdminLoop(
                polling: false, wakeups: 0, ticks: 0, packets: 0, pollingEntries: 0, bucketBounds: [0, 1, 2, 4],
                buckets: [0, 0, 0, 0, 0]),
        ]
        return stats
    }

    public func setLogLevel(_ level: String) -> Bool {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(level) else { return false }
        state.withLock { $0.logLevel = level }
        return true
    }

    /// A config with a key of each type: strings, an integer, a boolean and a list.
    public func effectiveConfig() -> AdminConfig {
        [
            "sip": [
                "listen": .string("0.0.0.0:5061"), "cert": .string("/etc/sotto/tls/cert.pem"),
                "key": .string("/etc/sotto/tls/key.pem"), "require_client_cert": .boolean(false),
            ],
            "upstream": ["pbx": .string("pbx.example:5061"), "trusted_addresses": .strings(["10.0.0.1", "10.0.0.2"])],
            "media": ["ip": .string("192.0.2.1"), "ports": .string("30000-30999")],
            "calls": ["max_calls": .integer(0)],
            "admin": ["socket": .string("/run/sotto/admin.sock")],
        ]
    }

    public func recordingControl(session: UInt64, action: String) -> AdminRecordingControlResult {
        recordings.control(session: session, live: liveIDs.contains(session), action: action)
    }

    public func recordings(from: Date?, to: Date?, party: String?) -> [AdminRecording] {
        recordings.list(from: from, to: to, party: party)
    }

    public func recording(id: String) -> AdminRecording? { recordings.row(id) }

    public func openRecording(id: String) -> AdminRecordingExport? { recordings.open(id) }

    public func readRecording(id: String, offset: UInt64, length: Int) -> [UInt8]? {
        recordings.read(id, offset: offset, length: length)
    }

    public func holdRecording(id: String, hold: Bool, reason: String) -> AdminRecordingActionResult {
        recordings.hold(id, hold)
    }

    public func deleteRecording(id: String, reason: String) -> AdminRecordingActionResult {
        recordings.delete(id)
    }

    /// Session `id`'s call: the two the documentation shows, then made-up agents.
    private static func call(_ id: UInt64, started: UInt64) -> Call {
        switch id {
        case 1:
            Call(
                callID: "a84b4c76e66710@agent1.example", from: "sip:1001@example.com",
                to: "sip:+442071234567@pbx.example", started: started)
        case 2:
            Call(
                callID: "f81d4fae-7dec-11d0@agent2.example", from: "sip:1002@example.com",
                to: "sip:+33142685300@pbx.example", started: started)
        default:
            Call(
                callID: "call-\(id)@agent\(id).example", from: "sip:\(1000 + id)@example.com",
                to: "sip:+4420\(7000_0000 + id)@pbx.example", started: started)
        }
    }

    private static func session(id: UInt64, _ call: Call, now: UInt64) -> AdminSession {
        let age = Double(now - call.started) / 1e9
        // 50 packets a second each way from the start, 160-byte payloads plus headers and tag.
        let packets = UInt64(age * 50) + 10 * id
        let legA = AdminLeg(
            side: "softphone", local: "192.0.2.1:\(30000 + 4 * id)", peer: "198.51.100.\(id % 256):4000",
            suite: "AES_CM_128_HMAC_SHA1_80", packetsIn: packets, packetsOut: packets, bytesIn: packets * 182,
            bytesOut: packets * 182, drops: id == 1 ? ["authFailed": 2] : [:], loss: 0.0, jitterMs: 1.25)
        let legB = AdminLeg(
            side: "pbx", local: "192.0.2.1:\(30002 + 4 * id)", peer: "203.0.113.5:\(20000 + 2 * id)",
            suite: "AEAD_AES_128_GCM", packetsIn: packets, packetsOut: packets, bytesIn: packets * 188,
            bytesOut: packets * 188, drops: [:], loss: 0.0, jitterMs: 0.5)
        return AdminSession(
            id: id, callID: call.callID, from: call.from, to: call.to, ageSeconds: age, state: "confirmed",
            legs: [legA, legB])
    }
}
