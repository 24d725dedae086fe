import AdminProtocol

/// The human layouts of `sessions` and `session ID`.
enum SessionReport {
    /// How much of a Call-ID the list shows (the detail view shows all of it).
    static let callIDWidth = 16
    /// How much of a From or To URI the list shows.
    static let addressWidth = 36

    /// `sessions`: one line per session, its legs indented under it in a second set of aligned columns.
    ///
    ///     ID  CALL-ID           FROM                   TO                     AGE    STATE      REC
    ///         LEG        PEER               SUITE                    PKTS IN  PKTS OUT  DROPS  LOSS   JITTER
    ///
    ///      1  a84b4c76e66710@…  sip:alice@example.com  sip:bob@example.com  1m05s  confirmed  rec
    ///         softphone  203.0.113.5:40000  AES_CM_128_HMAC_SHA1_80    3,000     2,990      2  0.10%  2.3 ms
    static func list(_ sessions: [AdminSession]) -> [String] {
        guard !sessions.isEmpty else { return ["no live sessions"] }
        let sessionTable = TextTable(
            [
                .init("ID", .right), .init("CALL-ID"), .init("FROM"), .init("TO"), .init("AGE", .right),
                .init("STATE"), .init("REC"),
            ],
            rows: sessions.map { session in
                [
                    String(session.id), Format.shorten(session.callID, to: callIDWidth),
                    Format.shorten(session.from, to: addressWidth), Format.shorten(session.to, to: addressWidth),
                    Format.duration(session.ageSeconds), session.state, recording(session.recording),
                ]
            })
        let legTable = TextTable(
            [
                .init("LEG"), .init("PEER"), .init("SUITE"), .init("PKTS IN", .right), .init("PKTS OUT", .right),
                .init("DROPS", .right), .init("LOSS", .right), .init("JITTER", .right),
            ],
            rows: sessions.flatMap(\.legs).map { leg in
                [
                    leg.side, leg.peer ?? "-", leg.suite ?? "-", Format.count(leg.packetsIn),
                    Format.count(leg.packetsOut), Format.count(Format.total(leg.drops)), Format.percent(leg.loss),
                    Format.milliseconds(leg.jitterMs),
                ]
            })
        // Legs sit under their session's CALL-ID column.
        let indent = sessionTable.widths[0] + 2
        let sessionWidths = sessionTable.widths
        let legWidths = legTable.widths
        var lines = [
            sessionTable.line(sessionTable.columns.map(\.title), widths: sessionWidths),
            legTable.line(legTable.columns.map(\.title), widths: legWidths, indent: indent),
        ]
        var legRow = 0
        for (index, session) in sessions.enumerated() {
            lines.append("")
            lines.append(sessionTable.line(sessionTable.rows[index], widths: sessionWidths))
            for _ in session.legs {
                lines.append(legTable.line(legTable.rows[legRow], widths: legWidths, indent: indent))
                legRow += 1
            }
        }
        return lines
    }

    /// `session ID`: every field of one session, then each leg.
    static func detail(_ session: AdminSession) -> [String] {
        var lines = ["session \(session.id)"]
        lines += fields([
            ("call-id", session.callID), ("from", session.from), ("to", session.to),
            ("age", Format.duration(session.ageSeconds)), ("state", session.state),
            ("rec", session.recording.map { $0 == "paused" ? "paused" : "yes" } ?? "no"),
        ])
        for (index, leg) in session.legs.enumerated() {
            lines.append("")
            lines.append("stream \(index / 2 + 1), \(leg.side) leg")
            lines += fields([
                ("local", leg.local), ("peer", leg.peer ?? "- (no packet yet)"), ("suite", leg.suite ?? "-"),
                ("packets", "\(Format.count(leg.packetsIn)) in, \(Format.count(leg.packetsOut)) out"),
                ("bytes", "\(Format.count(leg.bytesIn)) in, \(Format.count(leg.bytesOut)) out"),
                ("drops", Format.drops(leg.drops)), ("loss", Format.percent(leg.loss)),
                ("jitter", Format.milliseconds(leg.jitterMs)),
            ])
        }
        return lines
    }

    /// The REC column: `rec` while the call is recorded, `paused` while its recording is paused, blank otherwise.
    static func recording(_ state: String?) -> String {
        switch state {
        case "recording": "rec"
        case "paused": "paused"
        default: ""
        }
    }

    /// `name  value` pairs, indented two spaces, values aligned.
    static func fields(_ pairs: [(String, String)], indent: Int = 2) -> [String] {
        let width = pairs.map(\.0.count).max() ?? 0
        return pairs.map { name, value in
            String(repeating: " ", count: indent) + name + String(repeating: " ", count: width - name.count + 2)
                + value
        }
    }
}
