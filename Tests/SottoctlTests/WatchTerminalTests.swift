import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// `sottoctl watch` in a real terminal: tmux runs it in a detached 120x40 pane, the test reads the pane with
/// `capture-pane`, types with `send-keys` and reads tmux's own view of the terminal modes.
@Suite(.serialized)
struct WatchTerminalTests {
    /// A pane running `sh -c` around watch: saves the terminal settings, runs watch, prints its exit status,
    /// then whether the settings came back byte for byte, and stays open so the test can read the result.
    static func start(_ fixture: Fixture, columns: Int = 120, rows: Int = 40) async throws -> Tmux {
        let before = fixture.directory.path + "/stty.before"
        let after = fixture.directory.path + "/stty.after"
        let command = """
            stty -g > \(shellQuoted(before)); \
            \(shellQuoted(Products.sottoctl)) watch --socket \(shellQuoted(fixture.socketPath)) --interval-ms 200; \
            echo SOTTOCTL-EXITED-$?; \
            stty -g > \(shellQuoted(after)); cmp -s \(shellQuoted(before)) \(shellQuoted(after)) && echo TERMIOS-RESTORED; \
            sleep 30
            """
        return try await Tmux(command: command, columns: columns, rows: rows)
    }

    /// Waits for the first frame and checks it is the session table, drawn from the top of the screen.
    static func expectTable(_ tmux: Tmux) async throws {
        let shown = try await tmux.waitFor("sip:1002@example.com")
        #expect(shown.found, "no session table on screen:\n\(shown.screen)")
        let lines = shown.screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("sotto  up ") == true, "\(shown.screen)")
        #expect(lines.first?.hasSuffix("q: quit") == true)
        #expect(shown.screen.contains("calls 2  sessions 2  packets relayed "))
        #expect(shown.screen.contains("PBX connected"))
        #expect(shown.screen.contains("ID  FROM → TO"))
        #expect(shown.screen.contains(" 1  sip:1001@example.com → sip:+442071234567@pbx.example"))
        #expect(shown.screen.contains(" 2  sip:1002@example.com → sip:+33142685300@pbx.example"))
        // SUITES is last and cut at the edge of 120 columns before From or To would be; session 1 is recorded.
        #expect(shown.screen.contains("  rec  AES_CM_128_HMAC_SHA1_80 / A"))
        #expect(try await tmux.format("#{alternate_on}") == "1", "watch draws on the alternate screen")
        #expect(try await tmux.format("#{cursor_flag}") == "0", "the cursor is hidden while watching")
    }

    /// Checks the pane after watch exited with `status`: the alternate screen gone (the table with it), the
    /// cursor back, the terminal settings as they were.
    static func expectRestored(_ tmux: Tmux, status: Int) async throws {
        let exited = try await tmux.waitFor("SOTTOCTL-EXITED-")
        #expect(exited.screen.contains("SOTTOCTL-EXITED-\(status)\n"), "\(exited.screen)")
        let restored = try await tmux.waitFor("TERMIOS-RESTORED", timeout: .seconds(5))
        #expect(restored.found, "the terminal settings differ after watch:\n\(restored.screen)")
        #expect(!restored.screen.contains("FROM → TO"), "the table is still on screen:\n\(restored.screen)")
        #expect(!restored.screen.contains("sip:1002@example.com"))
        #expect(try await tmux.format("#{alternate_on}") == "0")
        #expect(try await tmux.format("#{cursor_flag}") == "1")
    }

    @Test func drawsTheSessionTableAndLeavesOnQ() async throws {
        let fixture = try await Fixture()
        let tmux = try await Self.start(fixture)
        try await Self.expectTable(tmux)
        // Redrawn in place: after more frames the title is still the first line (nothing scrolled).
        let firstFrame = try await tmux.capture()
        let changed = try await eventually(.seconds(5)) { try await tmux.capture() != firstFrame }
        #expect(changed, "the counters should move between frames")
        #expect(try await tmux.capture().hasPrefix("sotto  up "))
        try await tmux.send("q")
        try await Self.expectRestored(tmux, status: 0)
    }

    @Test func ctrlCLeavesTheSameWay() async throws {
        let fixture = try await Fixture()
        let tmux = try await Self.start(fixture)
        try await Self.expectTable(tmux)
        try await tmux.send("C-c")
        // Had Ctrl-C reached the shell as SIGINT, the shell would have died with watch and printed nothing.
        try await Self.expectRestored(tmux, status: 0)
    }

    @Test func sigtermRestoresTheTerminalThenEndsWatchBySignal() async throws {
        let fixture = try await Fixture()
        let tmux = try await Self.start(fixture)
        try await Self.expectTable(tmux)
        let shell = try await tmux.format("#{pane_pid}")
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
            .split(separator: " ").compactMap { pid_t($0) }
        #expect(children.count == 1, "the pane's shell should be running watch alone: \(children)")
        if let watch = children.first { kill(watch, SIGTERM) }
        try await Self.expectRestored(tmux, status: 128 + Int(SIGTERM))
    }

    @Test func theServerGoingAwayRestoresTheTerminalAndSaysSo() async throws {
        let fixture = try await Fixture()
        let tmux = try await Self.start(fixture)
        try await Self.expectTable(tmux)
        await fixture.stop()
        try await Self.expectRestored(tmux, status: 1)
        #expect(
            try await tmux.capture().contains(
                "sottoctl: the admin socket at \(fixture.socketPath) closed the connection"))
    }

    @Test func aSmallTerminalGetsWhatFits() async throws {
        let fixture = try await Fixture()
        let tmux = try await Self.start(fixture, columns: 60, rows: 6)
        let shown = try await tmux.waitFor("2 more sessions")
        #expect(shown.found, "\(shown.screen)")
        let lines = shown.screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("sotto  up ") == true, "\(shown.screen)")
        #expect(lines.allSatisfy { $0.count <= 60 })
        try await tmux.send("q")
        let exited = try await tmux.waitFor("SOTTOCTL-EXITED-0")
        #expect(exited.found, "\(exited.screen)")
    }
}
