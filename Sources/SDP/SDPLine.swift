/// One `<type>=<value>` line of a session description, kept exactly as it came (RFC 4566 §5).
///
/// The line's ``text`` and ``ending`` are what it was parsed from, so writing it back gives the same bytes;
/// every parsed view (``type``, ``value``, ``attribute``) is derived from the text. Lines the editing helpers
/// write are canonical: `<type>=<value>` with no trailing whitespace.
public struct SDPLine: Sendable, Hashable, CustomStringConvertible {
    /// How a line ended in the input: RFC 4566 §5 says CRLF, and also that a parser should accept a bare LF.
    public enum Ending: Sendable, Hashable {
        /// `\r\n`.
        case crlf
        /// `\n` alone.
        case lf
        /// Nothing: the last line of an input that has no final line break.
        case none

        /// The bytes of this ending.
        public var text: String {
            switch self {
            case .crlf: "\r\n"
            case .lf: "\n"
            case .none: ""
            }
        }
    }

    /// The whole line as written, without its line break: `a=rtpmap:0 PCMU/8000`, trailing whitespace kept.
    public let text: String
    /// The line break that followed the line.
    public let ending: Ending

    /// A line taken from parsed input: the parser has checked that `text` is `<letter>=...` with no CR, LF or NUL.
    init(verbatim text: String, ending: Ending) {
        self.text = text
        self.ending = ending
    }

    /// A canonical line `<type>=<value>`; callers have checked that `value` is line-safe.
    init(type: Character, value: String, ending: Ending) {
        self.text = "\(type)=\(value)"
        self.ending = ending
    }

    /// The line's type letter (`v`, `o`, `s`, `c`, `m`, `a`, ...).
    public var type: Character { Character(Unicode.Scalar(text.utf8.first ?? 0)) }

    /// The text after `<type>=`, without trailing spaces or tabs.
    public var value: Substring {
        let start = text.utf8.index(text.startIndex, offsetBy: 2, limitedBy: text.endIndex) ?? text.endIndex
        return SDPText.trimmingTrailingWhitespace(text[start...])
    }

    /// For an `a=` line, the attribute's name and its value after the first `:` (nil for a flag such as
    /// `a=rtcp-mux`); nil for any other line (RFC 4566 §5.13).
    public var attribute: (name: Substring, value: Substring?)? {
        guard text.utf8.first == UInt8(ascii: "a") else { return nil }
        let value = self.value
        guard let colon = value.utf8.firstIndex(of: UInt8(ascii: ":")) else { return (value, nil) }
        return (value[value.startIndex..<colon], value[value.utf8.index(after: colon)...])
    }

    /// Whether this is an `a=` line whose attribute is called `name` (attribute names compare case-sensitively,
    /// RFC 4566 §5.13).
    func isAttribute(_ name: String) -> Bool {
        guard let attribute else { return false }
        return attribute.name == name
    }

    /// The line and its ending, as they are written.
    public var description: String { text + ending.text }
}
