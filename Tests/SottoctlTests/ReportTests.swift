import AdminProtocol
import Foundation
import Testing

@testable import sottoctl

@Suite struct ReportTests {
    @Test func sessionListPutsEachLegUnderItsSessionInAlignedColumns() {
        let lines = SessionReport.list([Samples.session(id: 1), Samples.session(id: 12, from: "sip:carol@example.com")])
        #expect(lines[0].hasPrefix("ID  CALL-ID"))
        #expect(lines[0].hasSuffix("AGE  STATE      REC"))
        #expect(lines[1].trimmingPrefix(while: { $0 == " " }).hasPrefix("LEG        PEER"))
        // Session rows, each followed by its two legs, indented under CALL-ID.
        let sessionRow = lines.firstIndex { $0.hasPrefix(" 1  a84b4c76e66710@…") }
        #expect(sessionRow != nil)
        if let sessionRow {
            #expect(lines[sessionRow].contains("sip:alice@example.com"))
            #expect(lines[sessionRow].hasSuffix("1m05s  confirmed"))
            #expect(lines[sessionRow + 1].hasPrefix("    softphone  203.0.113.5:40000   AES_CM_128_HMAC_SHA1_80"))
            #expect(lines[sessionRow + 1].hasSuffix("3,000     2,990      2  0.10%  2.3 ms"))
            #expect(lines[sessionRow + 2].hasPrefix("    pbx        198.51.100.7:20000  AEAD_AES_128_GCM"))
            #expect(lines[sessionRow + 2].hasSuffix("0  1.25%       -"))
        }
        #expect(lines.contains { $0.hasPrefix("12  a84b4c76e66710@…  sip:carol@example.com") })
        // Every leg line ends at the same column (the last one is right-aligned).
        let legLines = lines.filter { $0.hasPrefix("    ") }
        #expect(Set(legLines.map(\.count)).count == 1)
    }

    @Test func theRECColumnSaysRecOrPausedAndIsBlankOtherwise() {
        var recorded = Samples.session(id: 1)
        recorded.recording = "recording"
        var paused = Samples.session(id: 2)
        paused.recording = "paused"
        let lines = SessionReport.list([recorded, paused, Samples.session(id: 3)])
        #expect(lines.contains { $0.hasPrefix(" 1  ") && $0.hasSuffix("confirmed  rec") })
        #expect(lines.contains { $0.hasPrefix(" 2  ") && $0.hasSuffix("confirmed  paused") })
        #expect(lines.contains { $0.hasPrefix(" 3  ") && $0.hasSuffix("confirmed") })
        #expect(SessionReport.detail(paused).contains("  rec      paused"))
        let screen = WatchScreen(socketPath: "/s", intervalMilliseconds: 1000, interactive: false)
        let frame = screen.lines(AdminWatchFrame(stats: Samples.stats, sessions: [recorded, paused]))
        #expect(frame.contains { $0.hasPrefix(" 1  ") && $0.contains("      2  rec     AES_CM") })
        #expect(frame.contains { $0.hasPrefix(" 2  ") && $0.contains("      2  paused  AES_CM") })
    }

    @Test func recordingsListAndDetail() {
        let recording = AdminRecording(
            id: "7QK2M9XC4H8R3T5V1N6B0P2D4F", callID: "c1@example", caller: "sip:+442071234567@pbx.example",
            callee: "sip:1001@example.com", started: "2026-12-01T09:00:00Z", ended: "2026-12-01T09:02:05Z",
            durationSeconds: 125, codecs: "PCMU/8000", sizeBytes: 600_000, sha256: "ab", state: "complete",
            legalHold: true, deadline: "2027-03-01T09:02:05Z", recipientKeyIDs: ["a1", "b2"])
        let lines = RecordingReport.list([recording])
        #expect(lines[0].hasPrefix("ID                          STARTED               LENGTH  CALLER"))
        #expect(lines[0].hasSuffix("SIZE  STATE     HOLD"))
        #expect(
            lines[1]
                == "7QK2M9XC4H8R3T5V1N6B0P2D4F  2026-12-01 09:00:00Z   2m05s  sip:+442071234567@pbx.example  "
                + "sip:1001@example.com  PCMU/8000  585 KiB  complete  held")
        #expect(RecordingReport.list([]) == ["no recordings"])
        let detail = RecordingReport.detail(recording)
        #expect(detail.contains("  legal hold   yes"))
        #expect(detail.contains("  recipients   a1, b2"))
        #expect(detail.contains("  size         600,000 bytes"))
        #expect(RecordingReport.size(812) == "812 B")
        #expect(RecordingReport.size(13_000_000) == "12.4 MiB")
        #expect(RecordingReport.size(3_000_000_000) == "2.8 GiB")
    }

    @Test func emptyListsSaySo() {
        #expect(SessionReport.list([]) == ["no live sessions"])
        #expect(RelayReport.registrations([]) == ["no registrations"])
    }

    @Test func sessionDetailShowsEveryField() {
        let text = SessionReport.detail(Samples.session(id: 7)).joined(separator: "\n")
        for expected in [
            "session 7", "  call-id  a84b4c76e66710@pc33.atlanta.example.com", "stream 1, softphone leg",
            "stream 1, pbx leg", "  local    192.0.2.1:30000", "  packets  3,000 in, 2,990 out",
            "  bytes    516,000 in, 514,280 out", "  drops    2 (authFailed 2)", "  loss     1.25%", "  jitter   -",
        ] {
            #expect(text.contains(expected), "missing \(expected) in\n\(text)")
        }
    }

    @Test func statsBreakDropsDownByReason() {
        let lines = RelayReport.stats(Samples.stats)
        #expect(lines.contains("uptime             3h12m"))
        #expect(lines.contains("drops              14"))
        #expect(lines.contains("  authFailed       10"))
        #expect(lines.contains("TLS connections    4 open, 10 accepted, 1 handshake failures"))
        #expect(lines.contains("PBX                connected"))
    }

    @Test func configIsSortedWithAlignedEquals() {
        let lines = RelayReport.config([
            "sip": ["listen": .string("0.0.0.0:5061"), "ca": .string("/etc/ca.pem")],
            "admin": ["socket": .string("/s")],
        ])
        #expect(lines == ["[admin]", "socket = /s", "", "[sip]", "ca     = /etc/ca.pem", "listen = 0.0.0.0:5061"])
    }

    /// Typed values read as the config file spells them, as before they were typed.
    @Test func configShowsTypedValuesAsTheFileSpellsThem() {
        let lines = RelayReport.config([
            "calls": ["max_calls": .integer(0)],
            "sip": ["require_client_cert": .boolean(false), "trusted": .strings(["10.0.0.1", "10.0.0.2"])],
        ])
        #expect(
            lines == [
                "[calls]", "max_calls = 0", "", "[sip]", "require_client_cert = false",
                "trusted             = 10.0.0.1,10.0.0.2",
            ])
    }

    /// A relay from before the typed config sent every value as a string: still read, and shown the same.
    @Test func anAllStringsConfigFromAnOlderRelayStillReads() throws {
        let config = try JSONDecoder().decode(
            AdminConfig.self, from: Data(#"{"calls":{"max_calls":"0"},"sip":{"require_client_cert":"false"}}"#.utf8))
        #expect(config["calls"]?["max_calls"] == .string("0"))
        #expect(RelayReport.config(config) == ["[calls]", "max_calls = 0", "", "[sip]", "require_client_cert = false"])
    }

    @Test func watchSortsByPacketsPerSecondThenID() {
        let sorted = WatchScreen.sorted([
            Samples.session(id: 3, pps: 50), Samples.session(id: 1, pps: 10), Samples.session(id: 2, pps: 50),
        ])
        #expect(sorted.map(\.id) == [2, 3, 1])
    }

    @Test func watchFrameHasTotalsThenBusiestSessionsFirst() {
        let screen = WatchScreen(socketPath: "/run/sotto/admin.sock", intervalMilliseconds: 200, interactive: true)
        let frame = AdminWatchFrame(
            stats: Samples.stats,
            sessions: [
                Samples.session(id: 1, pps: 10), Samples.session(id: 2, pps: 100, from: "sip:carol@example.com"),
            ])
        let lines = screen.lines(frame, rows: 40, columns: 120)
        #expect(lines[0].hasPrefix("sotto  up 3h12m  socket /run/sotto/admin.sock  every 0.2s"))
        #expect(lines[0].hasSuffix("q: quit"))
        #expect(lines[0].count == 120)
        #expect(
            lines[1]
                == "calls 2  sessions 2  packets relayed 123,456  drops 14 (authFailed 10, replay 2, tooShort 1, …)")
        #expect(lines[2] == "TLS 4 open, 1 handshake failures  ports 8 in use, 992 free  PBX connected")
        #expect(lines[4].hasPrefix("ID  FROM → TO"))
        #expect(lines[4].hasSuffix("AGE  PKT/S  LOSS %  DROPS  REC  SUITES"))
        #expect(lines[5].hasPrefix(" 2  sip:carol@example.com → sip:bob@example.com"))
        #expect(lines[5].hasSuffix("1m05s  100.0    1.25      2       AES_CM_128_HMAC_SHA1_80 / AEAD_AES_128_GCM"))
        #expect(lines[6].hasPrefix(" 1  sip:alice@example.com"))
        #expect(lines.count == 7)
    }

    /// A re-latch between two frames is shown under the totals, once, in the frame that carries it.
    @Test func watchShowsARelatchUnderTheTotals() {
        let screen = WatchScreen(socketPath: "/s", intervalMilliseconds: 1000, interactive: false)
        let event = AdminWatchEvent(kind: "relatch", session: 1, leg: "pbx", peer: "192.0.2.7:40000", count: 2)
        let frame = AdminWatchFrame(stats: Samples.stats, sessions: [Samples.session(id: 1)], events: [event])
        let lines = screen.lines(frame)
        #expect(lines[3] == "! relatch  session 1  pbx leg  now from 192.0.2.7:40000  (2 times)")
        #expect(lines[4].isEmpty)
        #expect(screen.lines(AdminWatchFrame(stats: Samples.stats, sessions: [Samples.session(id: 1)]))[3].isEmpty)
    }

    @Test func watchFrameCountsTheSessionsThatDoNotFit() {
        let screen = WatchScreen(socketPath: "/s", intervalMilliseconds: 1000, interactive: false)
        let frame = AdminWatchFrame(stats: Samples.stats, sessions: (1...10).map { Samples.session(id: $0) })
        let lines = screen.lines(frame, rows: 10, columns: 80)
        #expect(lines.count == 10)
        #expect(lines[9] == "… 6 more sessions (a taller terminal shows them)")
        #expect(lines[5].hasPrefix(" 1  "))
        #expect(lines[8].hasPrefix(" 4  "))
        #expect(screen.lines(frame).count == 4 + 1 + 10)
    }

    @Test func aNarrowTerminalShortensFromAndToBeforeTheNumbers() {
        let screen = WatchScreen(socketPath: "/s", intervalMilliseconds: 1000, interactive: true)
        var long = Samples.session(
            id: 1, pps: 50, from: "sip:agent-0042@contact-centre.example", to: "sip:+441632960000@pbx.example.com")
        long.recording = "paused"
        let frame = AdminWatchFrame(stats: Samples.stats, sessions: [long])
        let wide = screen.lines(frame, rows: 40, columns: 200)
        #expect(wide[5].contains("sip:agent-0042@contact-centre.example → sip:+441632960000@pbx.example.com"))
        let narrow = screen.lines(frame, rows: 40, columns: 80)
        #expect(narrow[5].contains("sip:agent-004… → sip:+44163296…"), "\(narrow[5])")
        // Everything up to REC fits in 80 columns; only SUITES runs past the edge.
        let recEnd = narrow[5].range(of: "      2  paused  AES")?.lowerBound
        #expect(recEnd.map { narrow[5].distance(from: narrow[5].startIndex, to: $0) + 15 <= 80 } == true)
        // Never below the narrowest cut, however small the terminal.
        #expect(screen.lines(frame, rows: 40, columns: 20)[5].contains("sip:agent-0… → sip:+441632…"))
    }

    @Test func terminalFrameRedrawsInPlaceWithoutScrolling() {
        let text = Terminal.frame(["title", String(repeating: "x", count: 30), "third"], rows: 2, columns: 10)
        #expect(text == "\u{1B}[Htitle\u{1B}[K\r\n" + String(repeating: "x", count: 10))
        let short = Terminal.frame(["a"], rows: 5, columns: 10)
        #expect(short == "\u{1B}[Ha\u{1B}[K\r\n\u{1B}[J")
    }

    @Test func socketPathComesFromTheOptionThenTheEnvironment() {
        #expect(AdminClient.resolvePath("/a", environment: ["SOTTO_ADMIN_SOCKET": "/b"]) == "/a")
        #expect(AdminClient.resolvePath(nil, environment: ["SOTTO_ADMIN_SOCKET": "/b"]) == "/b")
        #expect(AdminClient.resolvePath(nil, environment: [:]) == "/run/sotto/admin.sock")
    }

    @Test func auditSentences() {
        #expect(
            AuditVerifyCommand.sentence(.init(file: "a.log", intact: true, lines: 3, head: "ab"))
                == "a.log: 3 lines, chain intact")
        #expect(
            AuditVerifyCommand.sentence(.init(file: "a.log", intact: false, line: 2, reason: "prev is x"))
                == "a.log: line 2: prev is x")
    }
}
