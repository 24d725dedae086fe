import Admin
import AdminProtocol
import Dispatch
import Foundation
import Logging
import Media
import Proxy
import SottoConfig
import TLS
import Transport

/// What the admin socket reads and does, taken from the relay through its public APIs: the proxy on its
/// signalling loop, the media engine's snapshots, the connection counters. Admin never touches a loop's
/// state directly (docs/architecture.md, "Layers and modules").
final class RelayAdminBackend: AdminBackend, @unchecked Sendable {
    private let config: SottoConfig
    private let server: SignallingServer
    private let media: MediaEngine
    private let serverCounters: TLSCounters
    private let logLevel: SharedLogLevel
    private let started = Date()
    private let startedUptime = DispatchTime.now().uptimeNanoseconds
    private let srtpCrypto: String
    /// The recording vault's parts, nil when `[recording]` is off.
    let recordings: RelayRecordings?

    init(
        config: SottoConfig, server: SignallingServer, media: MediaEngine, serverCounters: TLSCounters,
        logLevel: SharedLogLevel, srtpCrypto: String, recordings: RelayRecordings?
    ) {
        self.recordings = recordings
        self.config = config
        self.server = server
        self.media = media
        self.serverCounters = serverCounters
        self.logLevel = logLevel
        self.srtpCrypto = srtpCrypto
    }

    func version() -> AdminVersion {
        AdminVersion(
            version: SottoCommand.version, startedAt: ISO8601DateFormatter().string(from: started),
            srtpCrypto: srtpCrypto)
    }

    func sessions() -> [AdminSession] {
        let calls = server.loop.queue.sync { server.proxy.callSummaries() }
        let byID = Dictionary(uniqueKeysWithValues: media.snapshot().map { ($0.id, $0) })
        return calls.compactMap { call in
            byID[call.session].map { session(call, $0) }
        }.sorted { $0.id < $1.id }
    }

    func session(id: UInt64) -> AdminSession? {
        sessions().first { $0.id == id }
    }

    func terminate(session id: UInt64) -> Bool {
        server.loop.queue.sync { server.proxy.terminate(session: id) }
    }

    func registrations() -> [AdminRegistration] {
        let (bindings, now) = server.loop.queue.sync {
            (server.proxy.currentRegistrations(), SystemMediaClock().now())
        }
        return bindings.map {
            AdminRegistration(
                aor: $0.aor, contact: $0.contact, flow: $0.flow, source: $0.source,
                expiresInSeconds: Int(($0.expires &- min($0.expires, now)) / 1_000_000_000))
        }
    }

    func stats() -> AdminStats {
        let (counters, calls, pbx, transactions, timers) = server.loop.queue.sync {
            (
                server.proxy.counters, server.proxy.callCount, server.proxy.pbxConnected,
                server.proxy.transactionCount, server.proxy.timerCount
            )
        }
        // Since start, ended sessions included (the `*_total` metrics must never fall when a call ends).
        let (snapshots, totals) = media.snapshotWithTotals()
        var perLoop = [Int](
            repeating: 0,
            count: config.effectiveMediaLoops)
        for snapshot in snapshots where perLoop.indices.contains(snapshot.loop) { perLoop[snapshot.loop] += 1 }
        var drops: [String: UInt64] = [:]
        for reason in MediaDropReason.allCases where totals[reason] > 0 { drops["\(reason)"] = totals[reason] }
        let (packets, bytes) = (totals.packetsOut, totals.bytesOut)
        // The pool counts RTP/RTCP pairs; stats and metrics say ports (an audio call holds 4: a pair per leg).
        let ports = media.portUsage
        var stats = AdminStats(
            uptimeSeconds: Double(DispatchTime.now().uptimeNanoseconds &- startedUptime) / 1e9, calls: calls,
            sessions: snapshots.count, callsStarted: counters.callsStarted, callsEnded: counters.callsEnded,
            srtpRefusals: counters.srtpRefusals, packetsRelayed: packets, bytesRelayed: bytes, drops: drops,
            tlsConnectionsOpen: server.counters.connectionsOpen,
            tlsConnectionsAccepted: server.counters.connectionsAccepted,
            tlsHandshakeFailures: serverCounters.handshakeFailures, portsInUse: ports.inUse * 2,
            portsFree: ports.free * 2,
            loopSessions: perLoop, pbxConnected: pbx, relatches: totals.relatched, transactions: transactions,
            timers: timers)
        stats.limitRefusals = counters.limitRefusals.merging(Self.listenerRefusals(server.counters)) { $0 + $1 }
        stats.loops = media.loopStatistics().map {
            AdminLoop(
                polling: $0.polling, wakeups: $0.wakeups, ticks: $0.ticks, packets: $0.packets,
                pollingEntries: $0.pollingEntries, bucketBounds: MediaLoopStatistics.bucketBounds,
                buckets: $0.packetsPerWakeup)
        }
        if let vault = recordings?.vault.statistics() {
            stats.recording = AdminRecordingStats(
                open: vault.open, started: vault.started, completed: vault.completed, failed: vault.failed,
                packets: vault.packets, overruns: vault.overruns, bytesWritten: vault.bytesWritten,
                available: vault.available)
        }
        return stats
    }

    /// The TLS listener's refusals at accept, under the limit names the metrics use beside the proxy's.
    static func listenerRefusals(_ counters: TransportCounters) -> [String: Int] {
        [
            "tls_connections": counters.refusedTooManyConnections,
            "tls_connections_per_address": counters.refusedTooManyFromAddress,
            "tls_handshakes": counters.refusedTooManyHandshakes,
            "tls_accepts_per_address": counters.refusedAcceptRate,
        ].filter { $0.value > 0 }
    }

    func setLogLevel(_ level: String) -> Bool {
        guard let parsed = LogLevel(rawValue: level) else { return false }
        logLevel.level = Logger.Level(parsed)
        return true
    }

    /// The effective config, listed from the config's own key table (``SottoConfig/effectiveValues()``): the
    /// private keys' paths are shown, their contents never are, and no key material is held in the config at all.
    /// `log.level` is the live level, which the admin socket can change at run time. Each value keeps the type
    /// its key takes in the file, so `--json` shows numbers, booleans and lists as such.
    func effectiveConfig() -> AdminConfig {
        var values = config.effectiveValues().mapValues { $0.mapValues(AdminConfigValue.init) }
        values["log", default: [:]]["level"] = .string("\(logLevel.level)")
        return values
    }

    private func session(_ call: SIPProxy.CallSummary, _ snapshot: MediaSessionSnapshot) -> AdminSession {
        let legs = (snapshot.streams.first ?? []).map { leg in
            var drops: [String: UInt64] = [:]
            for reason in MediaDropReason.allCases where leg.counters[reason] > 0 {
                drops["\(reason)"] = leg.counters[reason]
            }
            let statistics = leg.statistics
            let loss = statistics.flatMap { $0.expected > 0 ? max(0, Double($0.lost) / Double($0.expected)) : nil }
            return AdminLeg(
                side: leg.side == .a ? "softphone" : "pbx", local: "\(config.media.sdpIP):\(leg.localRTPPort)",
                peer: leg.latchedPeer ?? leg.declaredPeer, suite: leg.suite, packetsIn: leg.counters.packetsIn,
                packetsOut: leg.counters.packetsOut, bytesIn: leg.counters.bytesIn, bytesOut: leg.counters.bytesOut,
                drops: drops, loss: loss, jitterMs: statistics.map { $0.jitterSeconds * 1000 },
                relatches: leg.counters.relatched)
        }
        return AdminSession(
            id: call.session, callID: call.callID, from: call.from, to: call.to,
            ageSeconds: Double(call.age) / 1e9, state: call.state, legs: legs,
            recording: recordings?.recorder.state(session: call.session))
    }
}

extension AdminConfigValue {
    /// A config value as the admin protocol carries it: the same type, as JSON of its own kind.
    init(_ value: ConfigValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .integer(let number): self = .integer(number)
        case .boolean(let flag): self = .boolean(flag)
        case .strings(let items): self = .strings(items)
        }
    }
}
