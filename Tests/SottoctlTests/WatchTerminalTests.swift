import Foundation
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
    static func start(_ fixture: Fixture, columns: Int = 120, rows: Int = 40) throws -> Tmux {
        let before = fixture.directory.path + "/stty.before"
        let after = fixture.directory.path + "/stty.after"
        let command = """
            stty -g > \(shellQuoted(before)); \
            \(shellQuoted(Products.sottoctl)) watch --socket \(shellQuoted(fixture.socketPath)) --interval-ms 200; \
            echo SOTTOCTL-EXITED-$?; \
            stty -g > \(shellQuoted(after)); cmp -s \(shellQuoted(before)) \(shellQuoted(after)) && echo TERMIOS-RESTORED; \
            sleep 30
            """
        return try Tmux(command: command, columns: columns, rows: rows)
    }

    /// Waits for the first frame and checks it is the session table, drawn from the top of the screen.
    static func expectTable(_ tmux: Tmux) throws {
        let shown = try tmux.waitFor("sip:1002@example.com")
        #expect(shown.found, "no session table on screen:\n\(shown.screen)")
        let lines = shown.screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("sotto  up ") == true, "\(shown.screen)")
        #expect(lines.first?.hasSuffix("q: quit") == true)
        #expect(shown.screen.contains("calls 2  sessions 2  packets relayed "))
        #expect(shown.screen.contains("PBX connected"))
        #expect(shown.screen.contains("ID  FROM → TO"))
        #expect(shown.screen.contains(" 1  sip:1001@example.com → sip:+442071234567@pbx.example"))
        #expect(shown.screen.contains(" 2  sip:1002@example.com → sip:+33142685300@pbx.example"))
        // SUITES is last and cut at the edge of 120 columns before From or To would be.
        #expect(shown.screen.contains("AES_CM_128_HMAC_SHA1_80 / AEAD_AES"))
        #expect(try tmux.format("#{alternate_on}") == "1", "watch draws on the alternate screen")
        #expect(try tmux.format("#{cursor_flag}") == "0", "the cursor is hidden while watching")
    }

    /// Checks the pane after watch exited with `status`: the alternate screen gone (the table with it), the
    /// cursor back, the terminal settings as they were.
    static func expectRestored(_ tmux: Tmux, status: Int) throws {
        let exited = try tmux.waitFor("SOTTOCTL-EXITED-")
        #expect(exited.screen.contains("SOTTOCTL-EXITED-\(status)\n"), "\(exited.screen)")
        let restored = try tmux.waitFor("TERMIOS-RESTORED", timeout: 5)
        #expect(restored.found, "the terminal settings differ after watch:\n\(restored.screen)")
        #expect(!restored.screen.contains("FROM → TO"), "the table is still on screen:\n\(restored.screen)")
        #expect(!restored.screen.contains("sip:1002@example.com"))
        #expect(try tmux.format("#{alternate_on}") == "0")
        #expect(try tmux.format("#{cursor_flag}") == "1")
    }

    @Test func drawsTheSessionTableAndLeavesOnQ() throws {
        let fixture = try Fixture()
        let tmux = try Self.start(fixture)
        try Self.expectTable(tmux)
        // Redrawn in place: after more frames the title is still the first line (nothing scrolled).
        let firstFrame = try tmux.capture()
        let changed = try waitUntil(timeout: 5) { try tmux.capture() != firstFrame }
        #expect(changed, "the counters should move between frames")
        #expect(try tmux.capture().hasPrefix("sotto  up "))
        try tmux.send("q")
        try Self.expectRestored(tmux, status: 0)
    }

    @Test func ctrlCLeavesTheSameWay() throws {
        let fixture = try Fixture()
        let tmux = try Self.start(fixture)
        try Self.expectTable(tmux)
        try tmux.send("C-c")
        // Had Ctrl-C reached the shell as SIGINT, the shell would have died with watch and printed nothing.
        try Self.expectRestored(tmux, status: 0)
    }

    @Test func sigtermRestoresTheTerminalThenEndsWatchBySignal() throws {
        let fixture = try Fixture()
        let tmux = try Self.start(fixture)
        try Self.expectTable(tmux)
        let shell = try tmux.format("#{pane_pid}")
        let children = try String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)
            .split(separator: " ").compactMap { pid_t($0) }
        #expect(children.count == 1, "the pane's shell should be running watch alone: \(children)")
        if let watch = children.first { kill(watch, SIGTERM) }
        try Self.expectRestored(tmux, status: 128 + Int(SIGTERM))
    }

    @Test func theServerGoingAwayRestoresTheTerminalAndSaysSo() throws {
        let fixture = try Fixture()
        let tmux = try Self.start(fixture)
        try Self.expectTable(tmux)
        fixture.stop()
        try Self.expectRestored(tmux, status: 1)
        #expect(
            try tmux.capture().contains("sottoctl: the admin socket at \(fixture.socketPath) closed the connection"))
    }

    @Test func aSmallTerminalGetsWhatFits() throws {
        let fixture = try Fixture()
        let tmux = try Self.start(fixture, columns: 60, rows: 6)
        let shown = try tmux.waitFor("2 more sessions")
        #expect(shown.found, "\(shown.screen)")
        let lines = shown.screen.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.first?.hasPrefix("sotto  up ") == true, "\(shown.screen)")
        #expect(lines.allSatisfy { $0.count <= 60 })
        try tmux.send("q")
        let exited = try tmux.waitFor("SOTTOCTL-EXITED-0")
        #expect(exited.found, "\(exited.screen)")
    }
}
