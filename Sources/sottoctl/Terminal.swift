#if canImport(Glibc)
    import Glibc
#endif

/// The terminal `watch` draws on: the alternate screen, a hidden cursor and raw-ish input, all undone by
/// ``restore()`` (idempotent; `watch` calls it on every way out).
final class Terminal {
    /// The escape sequences, ECMA-48 and xterm's private modes.
    enum Escape {
        /// Switch to the alternate screen (saving the cursor), and back.
        static let enterAlternateScreen = "\u{1B}[?1049h"
        static let leaveAlternateScreen = "\u{1B}[?1049l"
        static let hideCursor = "\u{1B}[?25l"
        static let showCursor = "\u{1B}[?25h"
        /// Cursor to row 1, column 1.
        static let home = "\u{1B}[H"
        /// Erase from the cursor to the end of the line, and to the end of the screen.
        static let clearToEndOfLine = "\u{1B}[K"
        static let clearToEndOfScreen = "\u{1B}[J"
    }

    /// The input settings to put back (nil when stdin is not a terminal and was left alone).
    private var saved: termios?
    private var active = false

    /// Whether `descriptor` is a terminal.
    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) == 1 }

    /// Rows and columns of the terminal on stdout (`TIOCGWINSZ`), 24x80 when it does not say.
    static func size() -> (rows: Int, columns: Int) {
        var size = winsize()
        guard ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0, size.ws_col > 0 else {
            return (24, 80)
        }
        return (Int(size.ws_row), Int(size.ws_col))
    }

    /// Switches to the alternate screen and, when stdin is a terminal, to key-at-a-time input without echo.
    ///
    /// ISIG goes off too, so Ctrl-C arrives as the byte 0x03 and `watch` leaves through the same path as `q`
    /// (restore, exit 0) instead of dying with the terminal still in raw mode; SIGINT from elsewhere
    /// (`kill -INT`) is still caught.
    func enter() throws {
        if Self.isTerminal(STDIN_FILENO) {
            var settings = termios()
            guard tcgetattr(STDIN_FILENO, &settings) == 0 else {
                throw SottoctlError(.terminal, "cannot read the terminal settings: \(AdminClient.describe(errno))")
            }
            saved = settings
            settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
            settings.c_iflag &= ~tcflag_t(IXON | ICRNL)
            withUnsafeMutableBytes(of: &settings.c_cc) { characters in
                characters[Int(VMIN)] = 1
                characters[Int(VTIME)] = 0
            }
            guard tcsetattr(STDIN_FILENO, TCSANOW, &settings) == 0 else {
                saved = nil
                throw SottoctlError(.terminal, "cannot set up the terminal: \(AdminClient.describe(errno))")
            }
        }
        active = true
        Output.write(Escape.enterAlternateScreen + Escape.hideCursor + Escape.home + Escape.clearToEndOfScreen)
    }

    /// Leaves the alternate screen, shows the cursor and puts the saved input settings back.
    func restore() {
        guard active else { return }
        active = false
        Output.write(Escape.showCursor + Escape.leaveAlternateScreen)
        if var settings = saved {
            _ = tcsetattr(STDIN_FILENO, TCSANOW, &settings)
            saved = nil
        }
    }

    deinit { restore() }

    /// The bytes that draw `lines` over the previous frame without scrolling: home, then each line cut to
    /// `columns` and cleared to its end, at most `rows` lines, then the rest of the screen cleared.
    static func frame(_ lines: [String], rows: Int, columns: Int) -> String {
        var text = Escape.home
        let shown = lines.prefix(max(1, rows))
        for (index, line) in shown.enumerated() {
            let cut = line.count > columns ? String(line.prefix(columns)) : line
            text += cut
            // A full-width line leaves the cursor in the last column; erasing there would eat its last character.
            if cut.count < columns { text += Escape.clearToEndOfLine }
            // No newline after the last row: it would scroll the screen.
            if index < shown.count - 1 { text += "\r\n" }
        }
        if shown.isEmpty {
            text += Escape.clearToEndOfScreen
        } else if shown.count < rows {
            text += "\r\n" + Escape.clearToEndOfScreen
        }
        return text
    }
}
