import AdminProtocol

/// The human layouts of the recordings commands.
enum RecordingReport {
    /// How much of a caller or callee URI the list shows (`show` shows all of it).
    static let addressWidth = 32

    /// `recordings list`: one line per recording.
    ///
    ///     ID                          STARTED               LENGTH  CALLER            CALLEE        CODECS     SIZE   STATE     HOLD
    ///     7QK2M9XC4H8R3T5V1N6B0P2D4F  2026-12-01 09:00:00Z   2m05s  sip:+44207…       sip:1001@…    PCMU/8000  586 KiB  complete
    static func list(_ recordings: [AdminRecording]) -> [String] {
        guard !recordings.isEmpty else { return ["no recordings"] }
        let table = TextTable(
            [
                .init("ID"), .init("STARTED"), .init("LENGTH", .right), .init("CALLER"), .init("CALLEE"),
                .init("CODECS"), .init("SIZE", .right), .init("STATE"), .init("HOLD"),
            ],
            rows: recordings.map { recording in
                [
                    recording.id, time(recording.started), Format.duration(recording.durationSeconds),
                    Format.shorten(recording.caller, to: addressWidth),
                    Format.shorten(recording.callee, to: addressWidth), recording.codecs, size(recording.sizeBytes),
                    recording.state, recording.legalHold ? "held" : "",
                ]
            })
        return table.lines()
    }

    /// `recordings show ID`: every field.
    static func detail(_ recording: AdminRecording) -> [String] {
        ["recording \(recording.id)"]
            + SessionReport.fields([
                ("call-id", recording.callID), ("caller", recording.caller), ("callee", recording.callee),
                ("request-uri", recording.requestURI ?? "-"), ("started", recording.started),
                ("ended", recording.ended ?? "-"), ("length", Format.duration(recording.durationSeconds)),
                ("codecs", recording.codecs),
                ("size", "\(Format.count(recording.sizeBytes)) bytes"), ("sha256", recording.sha256 ?? "-"),
                ("state", recording.state), ("legal hold", recording.legalHold ? "yes" : "no"),
                ("deadline", recording.deadline),
                (
                    "recipients",
                    recording.recipientKeyIDs.isEmpty ? "-" : recording.recipientKeyIDs.joined(separator: ", ")
                ),
            ])
    }

    /// `2026-12-01T09:00:00Z` as `2026-12-01 09:00:00Z` (anything else as it came).
    static func time(_ iso: String) -> String {
        guard iso.count >= 19, iso.dropFirst(10).first == "T" else { return iso }
        return iso.prefix(10) + " " + iso.dropFirst(11)
    }

    /// `812 B`, `586 KiB`, `12.4 MiB`, `2.8 GiB`.
    static func size(_ bytes: UInt64) -> String {
        if bytes < 1024 { return "\(bytes) B" }
        if bytes < 1 << 20 { return "\(bytes >> 10) KiB" }
        if bytes < 1 << 30 {
            let mebibytes = Double(bytes) / Double(1 << 20)
            return mebibytes < 100 ? "\(Format.rate(mebibytes)) MiB" : "\(Int(mebibytes)) MiB"
        }
        return "\(Format.rate(Double(bytes) / Double(1 << 30))) GiB"
    }

    /// Runs a hold, release or delete and prints what it did (the row with `--json`).
    static func change(
        _ command: String, id: String, reason: ReasonOption, socket: SocketOptions, output: OutputOptions,
        message: (AdminRecording) -> String
    ) throws {
        try Sottoctl.run(
            command, args: ["id": .string(id), "reason": .string(reason.reason)], as: AdminRecording.self,
            socket: socket, output: output
        ) { [message($0)] }
    }
}
