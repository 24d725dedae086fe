import AdminProtocol

/// The human layouts of `registrations`, `stats`, `config` and `version`.
enum RelayReport {
    /// `registrations`: one aligned row per binding.
    static func registrations(_ registrations: [AdminRegistration]) -> [String] {
        guard !registrations.isEmpty else { return ["no registrations"] }
        return TextTable(
            [.init("AOR"), .init("CONTACT"), .init("FLOW", .right), .init("SOURCE"), .init("EXPIRES", .right)],
            rows: registrations.map { registration in
                [
                    registration.aor, registration.contact, String(registration.flow), registration.source,
                    Format.duration(Double(registration.expiresInSeconds)),
                ]
            }
        ).lines()
    }

    /// `stats`: the totals as aligned name/value lines, drops broken down by reason.
    static func stats(_ stats: AdminStats) -> [String] {
        var pairs: [(String, String)] = [
            ("uptime", Format.duration(stats.uptimeSeconds)),
            ("calls", "\(stats.calls) live (\(stats.callsStarted) started, \(stats.callsEnded) ended)"),
            ("sessions", String(stats.sessions)),
            ("SRTP refusals", String(stats.srtpRefusals)),
            ("limit refusals", limitRefusals(stats.limitRefusals)),
            ("packets relayed", Format.count(stats.packetsRelayed)),
            ("bytes relayed", Format.count(stats.bytesRelayed)),
            ("drops", Format.count(Format.total(stats.drops))),
        ]
        let reasons = stats.drops.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        pairs += reasons.map { ("  " + $0.key, Format.count($0.value)) }
        pairs += [
            (
                "TLS connections",
                "\(stats.tlsConnectionsOpen) open, \(stats.tlsConnectionsAccepted) accepted, "
                    + "\(stats.tlsHandshakeFailures) handshake failures"
            ),
            ("media ports", "\(Format.count(stats.portsInUse)) in use, \(Format.count(stats.portsFree)) free"),
            ("sessions per loop", stats.loopSessions.map(String.init).joined(separator: ", ")),
        ]
        pairs += (stats.loops ?? []).enumerated().map { ("  loop \($0.offset)", loop($0.element)) }
        if let recording = stats.recording { pairs.append(("recordings", Self.recording(recording))) }
        pairs.append(("PBX", stats.pbxConnected ? "connected" : "not connected"))
        return SessionReport.fields(pairs, indent: 0)
    }

    /// `polling, 1.8 packets per wakeup (412,003 wakeups, 12 polling entries)`: a loop's mode and what its
    /// wakeups carried on average since start.
    static func loop(_ loop: AdminLoop) -> String {
        let mean = loop.wakeups == 0 ? 0 : Double(loop.packets) / Double(loop.wakeups)
        return (loop.polling ? "polling" : "events") + ", " + String(format: "%.1f", mean)
            + " packets per wakeup (\(Format.count(loop.wakeups)) wakeups, \(loop.pollingEntries) polling entries)"
    }

    /// `3 open, 120 complete, 0 failed, 0 overruns, 41.2 MB written` (and `NOT TAKING NEW RECORDINGS` after a write
    /// failed).
    static func recording(_ recording: AdminRecordingStats) -> String {
        "\(recording.open) open, \(Format.count(recording.completed)) complete, \(recording.failed) failed, "
            + "\(Format.count(recording.overruns)) overruns, \(Format.count(recording.bytesWritten)) bytes written"
            + (recording.available ? "" : ", NOT TAKING NEW RECORDINGS (the store failed to write)")
    }

    /// `12 (requests_per_connection 10, calls_per_aor 2)`: the total, then each limit, most refusals first.
    static func limitRefusals(_ refusals: [String: Int]) -> String {
        let limits = refusals.filter { $0.value > 0 }.sorted { ($1.value, $0.key) < ($0.value, $1.key) }
        let total = String(limits.reduce(0) { $0 + $1.value })
        guard !limits.isEmpty else { return total }
        return total + " (" + limits.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }

    /// `config`: each section as `[name]` and its keys as aligned `key = value` lines, all sorted; values as the
    /// config file spells them (lists comma-separated).
    static func config(_ config: AdminConfig) -> [String] {
        var lines: [String] = []
        for section in config.keys.sorted() {
            let keys = config[section, default: [:]]
            if !lines.isEmpty { lines.append("") }
            lines.append("[\(section)]")
            let width = keys.keys.map(\.count).max() ?? 0
            for key in keys.keys.sorted() {
                lines.append(
                    key + String(repeating: " ", count: width - key.count) + " = " + (keys[key]?.description ?? ""))
            }
        }
        return lines.isEmpty ? ["(empty configuration)"] : lines
    }

    /// `version`: the relay's, then this client's.
    static func version(_ version: AdminVersion) -> [String] {
        SessionReport.fields(
            [
                ("sotto", version.version), ("started", version.startedAt), ("SRTP crypto", version.srtpCrypto),
                ("sottoctl", Sottoctl.version),
            ], indent: 0)
    }
}
