import AdminProtocol
import Foundation

/// What one `watch` frame looks like: the totals on top, then the sessions busiest first. Pure text, so the
/// layout is tested without a terminal; ``Terminal/frame(_:rows:columns:)`` puts it on the screen.
struct WatchScreen {
    /// The socket path, shown in the title.
    var socketPath: String
    /// The frame interval, shown in the title.
    var intervalMilliseconds: Int
    /// Whether keys work (adds the `q: quit` hint).
    var interactive: Bool

    /// The most of a From or To URI a row shows; less when the terminal is narrow (down to
    /// ``narrowestAddress``), so the numbers to its right stay on screen.
    static let widestAddress = 40
    static let narrowestAddress = 12

    static let tableColumns: [TextTable.Column] = [
        .init("ID", .right), .init("FROM → TO"), .init("AGE", .right), .init("PKT/S", .right),
        .init("LOSS %", .right), .init("DROPS", .right), .init("REC"), .init("SUITES"),
    ]
    /// Where FROM → TO and SUITES sit in ``tableColumns``.
    private static let addressColumn = 1
    private static let suitesColumn = 7

    /// Sessions busiest first: packets per second descending, then id ascending so equal rates keep still.
    static func sorted(_ sessions: [AdminSession]) -> [AdminSession] {
        sessions.sorted { ($1.packetsPerSecond, $0.id) < ($0.packetsPerSecond, $1.id) }
    }

    /// The header lines for `stats`, `columns` wide at most (nil: no limit).
    func header(_ stats: AdminStats, columns: Int?) -> [String] {
        var title =
            "sotto  up \(Format.duration(stats.uptimeSeconds))  socket \(socketPath)  every "
            + String(format: "%.1fs", Double(intervalMilliseconds) / 1000)
        if interactive {
            let hint = "q: quit"
            let columns = columns ?? 0
            title +=
                columns > title.count + hint.count + 2
                ? String(repeating: " ", count: columns - title.count - hint.count) + hint : "  " + hint
        }
        return [
            title,
            "calls \(stats.calls)  sessions \(stats.sessions)  packets relayed \(Format.count(stats.packetsRelayed))"
                + "  drops \(Format.drops(stats.drops, limit: 3))",
            "TLS \(stats.tlsConnectionsOpen) open, \(stats.tlsHandshakeFailures) handshake failures"
                + "  ports \(Format.count(stats.portsInUse)) in use, \(Format.count(stats.portsFree)) free"
                + "  PBX \(stats.pbxConnected ? "connected" : "NOT CONNECTED")",
        ]
    }

    /// The whole frame. With `rows`, sessions that do not fit are summed up in a last `… N more` line; with
    /// `columns`, From and To are shortened so the row fits if they can be.
    func lines(_ frame: AdminWatchFrame, rows: Int? = nil, columns: Int? = nil) -> [String] {
        var lines = header(frame.stats, columns: columns)
        // Events of this frame (a re-latch: a peer's authenticated media now comes from a new address) stand
        // under the totals, where an operator watching for trouble looks first.
        lines += (frame.events ?? []).map(Self.event)
        lines.append("")
        let sessions = Self.sorted(frame.sessions)
        guard !sessions.isEmpty else { return lines + ["no live sessions"] }
        // Only the rows that fit are formatted: a relay with thousands of calls still redraws cheaply.
        var shown = sessions[...]
        var more: String?
        if let rows, sessions.count > rows - lines.count - 1 {
            // The title line, then as many sessions as fit with one line left for the count of the rest.
            shown = sessions.prefix(max(0, rows - lines.count - 2))
            more = "… \(sessions.count - shown.count) more sessions (a taller terminal shows them)"
        }
        let width = columns.map { Self.addressWidth(for: Array(shown), columns: $0) } ?? Self.widestAddress
        let table = TextTable(Self.tableColumns, rows: shown.map { Self.row($0, addressWidth: width) })
        return lines + table.lines() + (more.map { [$0] } ?? [])
    }

    /// `! relatch  session 12  pbx leg  now from 192.0.2.7:40000  (2 times)`.
    static func event(_ event: AdminWatchEvent) -> String {
        let count = event.count == 1 ? "" : "  (\(event.count) times)"
        return "! \(event.kind)  session \(event.session)  \(event.leg) leg"
            + (event.peer.map { "  now from \($0)" } ?? "") + count
    }

    /// The widest From/To cut at which every row of `sessions` fits in `columns`, within the bounds.
    ///
    /// SUITES, the last column, does not count beyond its title: who is talking matters more than how it is
    /// encrypted (every leg is SRTP anyway), so a narrow terminal cuts the suites at its edge first.
    static func addressWidth(for sessions: [AdminSession], columns: Int) -> Int {
        let table = TextTable(tableColumns, rows: sessions.map { row($0, addressWidth: 0) })
        var widths = table.widths
        widths[addressColumn] = 0
        widths[suitesColumn] = tableColumns[suitesColumn].title.count
        let budget = columns - widths.reduce(0, +) - 2 * (widths.count - 1)
        let lengths = sessions.map { ($0.from.count, $0.to.count) }
        var width = widestAddress
        while width > narrowestAddress {
            let needed = lengths.map { min($0.0, width) + 3 + min($0.1, width) }.max() ?? 0
            if needed <= budget { break }
            width -= 1
        }
        return width
    }

    /// One session's row, From and To cut to `addressWidth` characters.
    static func row(_ session: AdminSession, addressWidth: Int) -> [String] {
        let losses = session.legs.compactMap(\.loss).filter(\.isFinite)
        var suites: [String] = []
        for suite in session.legs.compactMap(\.suite) where !suites.contains(suite) { suites.append(suite) }
        return [
            String(session.id),
            Format.shorten(session.from, to: addressWidth) + " → " + Format.shorten(session.to, to: addressWidth),
            Format.duration(session.ageSeconds),
            Format.rate(session.packetsPerSecond),
            losses.max().map { String(format: "%.2f", $0 * 100) } ?? "-",
            Format.count(session.legs.reduce(0) { $0 &+ Format.total($1.drops) }),
            SessionReport.recording(session.recording),
            suites.isEmpty ? "-" : suites.joined(separator: " / "),
        ]
    }

    /// What the screen says before the first frame arrives.
    func waiting() -> [String] {
        ["sottoctl watch: waiting for the first frame from \(socketPath)…" + (interactive ? "  (q: quit)" : "")]
    }
}
