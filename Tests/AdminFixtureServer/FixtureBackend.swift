import Admin
import AdminProtocol
import Dispatch
import Synchronization

/// A small in-memory relay for the admin tests and `sottoctl`'s: two sessions whose packet counters grow
/// with time (50 packets per second per direction), one registration, stats; `terminate` removes a session,
/// `setLogLevel` records the level. Only this backend is canned: the socket, roles and audit are real.
final class FixtureBackend: AdminBackend {
    private struct State {
        var sessions: [UInt64: (callID: String, from: String, to: String, started: UInt64)]
        var logLevel = "info"
        var callsEnded = 0
    }

    private let started = DispatchTime.now().uptimeNanoseconds
    private let state: Mutex<State>

    init() {
        let now = DispatchTime.now().uptimeNanoseconds
        state = Mutex(
            State(sessions: [
                1: ("a84b4c76e66710@agent1.example", "sip:1001@example.com", "sip:+442071234567@pbx.example", now),
                2: ("f81d4fae-7dec-11d0@agent2.example", "sip:1002@example.com", "sip:+33142685300@pbx.example", now),
            ]))
    }

    /// The level last set through `log-level`.
    var logLevel: String { state.withLock { $0.logLevel } }

    func version() -> AdminVersion {
        AdminVersion(version: "0.0.0-fixture", startedAt: "2026-11-29T23:00:00Z", srtpCrypto: "openssl")
    }

    func sessions() -> [AdminSession] {
        let now = DispatchTime.now().uptimeNanoseconds
        return state.withLock { state in
            state.sessions.keys.sorted().map { id in
                let entry = state.sessions[id]!
                return Self.session(id: id, entry, now: now)
            }
        }
    }

    func session(id: UInt64) -> AdminSession? {
        let now = DispatchTime.now().uptimeNanoseconds
        return state.withLock { state in state.sessions[id].map { Self.session(id: id, $0, now: now) } }
    }

    func terminate(session id: UInt64) -> Bool {
        state.withLock { state in
            guard state.sessions.removeValue(forKey: id) != nil else { return false }
            state.callsEnded += 1
            return true
        }
    }

    func registrations() -> [AdminRegistration] {
        [
            AdminRegistration(
                aor: "sip:1001@example.com", contact: "<sip:1001@192.0.2.10:50612;transport=tls>", flow: 1,
                source: "192.0.2.10:50612", expiresInSeconds: 3600)
        ]
    }

    func stats() -> AdminStats {
        let sessions = sessions()
        let uptime = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        var drops: [String: UInt64] = [:]
        for leg in sessions.flatMap(\.legs) {
            for (reason, count) in leg.drops { drops[reason, default: 0] += count }
        }
        let ended = state.withLock { $0.callsEnded }
        return AdminStats(
            uptimeSeconds: uptime, calls: sessions.count, sessions: sessions.count, callsStarted: 2,
            callsEnded: ended, srtpRefusals: 1,
            packetsRelayed: sessions.flatMap(\.legs).reduce(0) { $0 + $1.packetsOut },
            bytesRelayed: sessions.flatMap(\.legs).reduce(0) { $0 + $1.bytesOut }, drops: drops,
            tlsConnectionsOpen: 3, tlsConnectionsAccepted: 5, tlsHandshakeFailures: 1, portsInUse: sessions.count * 4,
            portsFree: 1000 - sessions.count * 4, loopSessions: [sessions.count, 0], pbxConnected: true)
    }

    func setLogLevel(_ level: String) -> Bool {
        let levels = ["trace", "debug", "info", "notice", "warning", "error", "critical"]
        guard levels.contains(level) else { return false }
        state.withLock { $0.logLevel = level }
        return true
    }

    func effectiveConfig() -> [String: [String: String]] {
        [
            "sip": ["listen": "0.0.0.0:5061", "cert": "/etc/sotto/tls/cert.pem", "key": "/etc/sotto/tls/key.pem"],
            "upstream": ["pbx": "pbx.example:5061"],
            "media": ["ip": "192.0.2.1", "ports": "30000-30999"],
            "admin": ["socket": "/run/sotto/admin.sock"],
        ]
    }

    private static func session(
        id: UInt64, _ entry: (callID: String, from: String, to: String, started: UInt64), now: UInt64
    ) -> AdminSession {
        let age = Double(now - entry.started) / 1e9
        // 50 packets a second each way from the start, 160-byte payloads plus headers and tag.
        let packets = UInt64(age * 50) + 10 * id
        let legA = AdminLeg(
            side: "softphone", local: "192.0.2.1:\(30000 + 4 * id)", peer: "198.51.100.\(id):4000",
            suite: "AES_CM_128_HMAC_SHA1_80", packetsIn: packets, packetsOut: packets, bytesIn: packets * 182,
            bytesOut: packets * 182, drops: id == 1 ? ["authFailed": 2] : [:], loss: 0.0, jitterMs: 1.25)
        let legB = AdminLeg(
            side: "pbx", local: "192.0.2.1:\(30002 + 4 * id)", peer: "203.0.113.5:\(20000 + 2 * id)",
            suite: "AEAD_AES_128_GCM", packetsIn: packets, packetsOut: packets, bytesIn: packets * 188,
            bytesOut: packets * 188, drops: [:], loss: 0.0, jitterMs: 0.5)
        return AdminSession(
            id: id, callID: entry.callID, from: entry.from, to: entry.to, ageSeconds: age, state: "confirmed",
            legs: [legA, legB])
    }
}
