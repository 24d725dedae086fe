import AdminProtocol

/// Admin results to lay out in the unit tests.
enum Samples {
    static func leg(
        _ side: String, peer: String? = "203.0.113.5:40000", suite: String? = "AES_CM_128_HMAC_SHA1_80",
        packetsIn: UInt64 = 3_000, packetsOut: UInt64 = 2_990, drops: [String: UInt64] = [:], loss: Double? = 0.001,
        jitterMs: Double? = 2.34
    ) -> AdminLeg {
        AdminLeg(
            side: side, local: "192.0.2.1:30000", peer: peer, suite: suite, packetsIn: packetsIn,
            packetsOut: packetsOut, bytesIn: packetsIn * 172, bytesOut: packetsOut * 172, drops: drops, loss: loss,
            jitterMs: jitterMs)
    }

    static func session(
        id: UInt64, pps: Double = 0, from: String = "sip:alice@example.com", to: String = "sip:bob@example.com",
        legs: [AdminLeg]? = nil
    ) -> AdminSession {
        AdminSession(
            id: id, callID: "a84b4c76e66710@pc33.atlanta.example.com", from: from, to: to, ageSeconds: 65,
            state: "confirmed",
            legs: legs ?? [
                leg("softphone", drops: ["authFailed": 2]),
                leg("pbx", peer: "198.51.100.7:20000", suite: "AEAD_AES_128_GCM", loss: 0.0125, jitterMs: nil),
            ], packetsPerSecond: pps)
    }

    static let stats = AdminStats(
        uptimeSeconds: 11_565, calls: 2, sessions: 2, callsStarted: 10, callsEnded: 8, srtpRefusals: 1,
        packetsRelayed: 123_456, bytesRelayed: 21_234_432,
        drops: [
            "authFailed": 10, "replay": 2, "tooShort": 1,
            "unknownSource": 1,
        ], tlsConnectionsOpen: 4, tlsConnectionsAccepted: 10, tlsHandshakeFailures: 1,
        portsInUse: 8, portsFree: 992, loopSessions: [1, 1], pbxConnected: true)
}
