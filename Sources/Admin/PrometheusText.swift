import AdminProtocol

/// The relay's figures in the Prometheus text exposition format, version 0.0.4
/// (https://prometheus.io/docs/instrumenting/exposition_formats/): `# HELP` and `# TYPE` once per family,
/// then its samples, label values and help text escaped as the format says.
///
/// Served as `metrics` on the admin socket (a scraper behind a small exporter, or `sottoctl metrics`). The
/// per-session families carry the session id and leg, never caller or callee numbers.
public enum PrometheusText {
    /// The content type a scrape endpoint serving this text would send.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    /// The exposition of `stats` and the per-leg figures of `sessions`.
    public static func render(stats: AdminStats, sessions: [AdminSession]) -> String {
        var out = Writer()
        out.family("sotto_uptime_seconds", .gauge, "Seconds since Sotto started.")
        out.sample("sotto_uptime_seconds", value: stats.uptimeSeconds)
        out.family("sotto_calls", .gauge, "Calls in progress.")
        out.sample("sotto_calls", value: stats.calls)
        out.family("sotto_sessions", .gauge, "Media sessions live.")
        out.sample("sotto_sessions", value: stats.sessions)
        out.family("sotto_calls_started_total", .counter, "Calls started since Sotto started.")
        out.sample("sotto_calls_started_total", value: stats.callsStarted)
        out.family("sotto_calls_ended_total", .counter, "Calls ended since Sotto started.")
        out.sample("sotto_calls_ended_total", value: stats.callsEnded)
        out.family("sotto_srtp_refusals_total", .counter, "Offers or answers refused for lacking usable SRTP.")
        out.sample("sotto_srtp_refusals_total", value: stats.srtpRefusals)
        out.family("sotto_limit_refusals_total", .counter, "Requests refused by a limit, by limit name.")
        for limit in stats.limitRefusals.keys.sorted() {
            out.sample("sotto_limit_refusals_total", [("limit", limit)], value: stats.limitRefusals[limit] ?? 0)
        }
        // Totals since start, ended sessions included: a counter that fell when a call ended would read as a
        // reset and hide an attack's evidence.
        out.family("sotto_packets_relayed_total", .counter, "Packets relayed (sent) since Sotto started.")
        out.sample("sotto_packets_relayed_total", value: stats.packetsRelayed)
        out.family("sotto_bytes_relayed_total", .counter, "Bytes relayed (sent) since Sotto started.")
        out.sample("sotto_bytes_relayed_total", value: stats.bytesRelayed)
        out.family("sotto_relatches_total", .counter, "Media peers that moved (re-latched on an authenticated packet).")
        out.sample("sotto_relatches_total", value: stats.relatches ?? 0)
        out.family("sotto_drops_total", .counter, "Packets dropped since Sotto started, by reason.")
        for reason in stats.drops.keys.sorted() {
            out.sample("sotto_drops_total", [("reason", reason)], value: stats.drops[reason] ?? 0)
        }
        out.family("sotto_tls_connections_open", .gauge, "TLS connections open.")
        out.sample("sotto_tls_connections_open", value: stats.tlsConnectionsOpen)
        out.family("sotto_tls_connections_accepted_total", .counter, "TLS connections accepted.")
        out.sample("sotto_tls_connections_accepted_total", value: stats.tlsConnectionsAccepted)
        out.family("sotto_tls_handshake_failures_total", .counter, "TLS handshakes that failed.")
        out.sample("sotto_tls_handshake_failures_total", value: stats.tlsHandshakeFailures)
        out.family("sotto_ports_in_use", .gauge, "Media ports in use.")
        out.sample("sotto_ports_in_use", value: stats.portsInUse)
        out.family("sotto_ports_free", .gauge, "Media ports free.")
        out.sample("sotto_ports_free", value: stats.portsFree)
        out.family("sotto_loop_sessions", .gauge, "Sessions per media loop.")
        for (loop, count) in stats.loopSessions.enumerated() {
            out.sample("sotto_loop_sessions", [("loop", String(loop))], value: count)
        }
        out.family("sotto_pbx_connected", .gauge, "1 while the TLS connection to the PBX is up.")
        out.sample("sotto_pbx_connected", value: stats.pbxConnected ? 1 as Int : 0)
        if let transactions = stats.transactions {
            out.family("sotto_sip_transactions", .gauge, "SIP transactions held (server and client).")
            out.sample("sotto_sip_transactions", value: transactions)
        }
        if let timers = stats.timers {
            out.family("sotto_signalling_timers", .gauge, "Timers pending on the signalling loop.")
            out.sample("sotto_signalling_timers", value: timers)
        }

        if let loops = stats.loops { renderLoops(loops, into: &out) }
        if let recording = stats.recording { renderRecording(recording, into: &out) }

        renderSessions(sessions, into: &out)
        return out.text
    }

    /// The recording vault: recordings open and finished, packets recorded and lost to full rings, bytes written.
    private static func renderRecording(_ recording: AdminRecordingStats, into out: inout Writer) {
        out.family("sotto_recordings_open", .gauge, "Recordings being written now.")
        out.sample("sotto_recordings_open", value: recording.open)
        out.family("sotto_recordings_total", .counter, "Recordings finished since start, by how they ended.")
        out.sample("sotto_recordings_total", [("state", "complete")], value: recording.completed)
        out.sample("sotto_recordings_total", [("state", "failed")], value: recording.failed)
        out.family("sotto_recording_packets_total", .counter, "Packets written into recordings.")
        out.sample("sotto_recording_packets_total", value: recording.packets)
        out.family(
            "sotto_recording_overruns_total", .counter,
            "Packets not recorded because a media loop's capture ring was full (the call was relayed).")
        out.sample("sotto_recording_overruns_total", value: recording.overruns)
        out.family("sotto_recording_bytes_written_total", .counter, "Sealed recording bytes written to disk.")
        out.sample("sotto_recording_bytes_written_total", value: recording.bytesWritten)
        out.family("sotto_recording_available", .gauge, "1 while the vault takes new recordings.")
        out.sample("sotto_recording_available", value: recording.available ? 1 as Int : 0)
    }

    /// Per media loop: its mode, and packets per wakeup as a Prometheus histogram (cumulative `le` buckets).
    private static func renderLoops(_ loops: [AdminLoop], into out: inout Writer) {
        out.family("sotto_media_loop_polling", .gauge, "1 while the media loop polls on its timer tick (under load).")
        for (index, loop) in loops.enumerated() {
            out.sample("sotto_media_loop_polling", [("loop", String(index))], value: loop.polling ? 1 as Int : 0)
        }
        out.family("sotto_media_loop_polling_entries_total", .counter, "Times the media loop started polling.")
        for (index, loop) in loops.enumerated() {
            out.sample("sotto_media_loop_polling_entries_total", [("loop", String(index))], value: loop.pollingEntries)
        }
        let name = "sotto_media_loop_packets_per_wakeup"
        out.family(name, .histogram, "Packets a media loop served per wakeup (readiness event or polling tick).")
        for (index, loop) in loops.enumerated() {
            let label = ("loop", String(index))
            var cumulative: UInt64 = 0
            for (bucket, count) in loop.buckets.enumerated() {
                cumulative &+= count
                let bound = bucket < loop.bucketBounds.count ? String(loop.bucketBounds[bucket]) : "+Inf"
                out.sample(name + "_bucket", [label, ("le", bound)], value: cumulative)
            }
            out.sample(name + "_sum", [label], value: loop.packets)
            out.sample(name + "_count", [label], value: loop.wakeups)
        }
    }

    private static func renderSessions(_ sessions: [AdminSession], into out: inout Writer) {
        let sorted = sessions.sorted { $0.id < $1.id }
        out.family("sotto_session_age_seconds", .gauge, "Age of each live session.")
        for session in sorted {
            out.sample("sotto_session_age_seconds", [("session", String(session.id))], value: session.ageSeconds)
        }
        typealias Figure = (name: String, type: Writer.Kind, help: String, value: (AdminLeg) -> String?)
        let figures: [Figure] = [
            ("sotto_session_packets_in_total", .counter, "Packets received on a leg.", { String($0.packetsIn) }),
            ("sotto_session_packets_out_total", .counter, "Packets sent on a leg.", { String($0.packetsOut) }),
            ("sotto_session_bytes_in_total", .counter, "Bytes received on a leg.", { String($0.bytesIn) }),
            ("sotto_session_bytes_out_total", .counter, "Bytes sent on a leg.", { String($0.bytesOut) }),
            (
                "sotto_session_loss_ratio", .gauge, "Fraction of expected packets not received (RFC 3550 A.3).",
                { $0.loss.map(format) }
            ),
            (
                "sotto_session_jitter_seconds", .gauge, "Interarrival jitter (RFC 3550 A.8).",
                { $0.jitterMs.map { format($0 / 1000) } }
            ),
        ]
        for figure in figures {
            out.family(figure.name, figure.type, figure.help)
            for session in sorted {
                for (index, leg) in session.legs.enumerated() {
                    guard let value = figure.value(leg) else { continue }
                    out.sample(figure.name, legLabels(session, index, leg), formatted: value)
                }
            }
        }
        out.family("sotto_session_drops_total", .counter, "Packets dropped on a leg, by reason.")
        for session in sorted {
            for (index, leg) in session.legs.enumerated() {
                for reason in leg.drops.keys.sorted() {
                    var labels = legLabels(session, index, leg)
                    labels.append(("reason", reason))
                    out.sample("sotto_session_drops_total", labels, value: leg.drops[reason] ?? 0)
                }
            }
        }
    }

    private static func legLabels(_ session: AdminSession, _ index: Int, _ leg: AdminLeg) -> [(String, String)] {
        [("session", String(session.id)), ("leg", String(index)), ("side", leg.side)]
    }

    /// A label value escaped per the format: backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var out = ""
        for character in value.unicodeScalars {
            switch character {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default: out.unicodeScalars.append(character)
            }
        }
        return out
    }

    /// A help text escaped per the format: backslash and line feed.
    static func escapeHelp(_ text: String) -> String {
        text.replacing("\\", with: "\\\\").replacing("\n", with: "\\n")
    }

    /// A sample value as the format spells it (Go's float syntax; `+Inf`, `-Inf`, `NaN`).
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    private struct Writer {
        enum Kind: String {
            case counter, gauge, histogram
        }

        var text = ""

        mutating func family(_ name: String, _ kind: Kind, _ help: String) {
            text += "# HELP \(name) \(PrometheusText.escapeHelp(help))\n# TYPE \(name) \(kind.rawValue)\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)], formatted value: String) {
            text += name
            if !labels.isEmpty {
                let pairs = labels.map { "\($0.0)=\"\(PrometheusText.escapeLabelValue($0.1))\"" }
                text += "{" + pairs.joined(separator: ",") + "}"
            }
            text += " " + value + "\n"
        }

        mutating func sample(_ name: String, _ labels: [(String, String)] = [], value: Double) {
            sample(name, labels, formatted: PrometheusText.format(value))
        }

        mutating func sample(_ name: String, _ labels: [(String, String)] = [], value: some BinaryInteger) {
            // Integers as integers: a UInt64 counter past 2^53 would lose digits as a Double.
            sample(name, labels, formatted: String(value))
        }
    }
}
