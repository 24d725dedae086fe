/// A session description (RFC 4566): the session part and its media sections, kept line by line so that one
/// that is parsed and written back unchanged gives the same bytes.
///
/// Parse one from a `String` or from UTF-8 bytes with `init(parsing:limits:)`;
/// read it through the views here and on ``SDPMediaDescription``; edit media sections through ``media``; write
/// it with ``text`` or ``bytes``. Unknown attributes and the lines no view reads are kept in place.
public struct SDPSessionDescription: Sendable, Hashable {
    /// The session part's lines, from `v=` to the line before the first `m=`.
    public internal(set) var sessionLines: [SDPLine]
    /// The media sections, in order.
    public var media: [SDPMediaDescription]
    /// Blank lines that followed the last line, kept so that they are written back.
    public internal(set) var trailer: String

    init(sessionLines: [SDPLine], media: [SDPMediaDescription], trailer: String) {
        self.sessionLines = sessionLines
        self.media = media
        self.trailer = trailer
    }

    /// The line break the description uses: the first line's (CRLF when it has none).
    public var lineEnding: SDPLine.Ending {
        let first = sessionLines.first?.ending ?? .crlf
        return first == .none ? .crlf : first
    }

    /// All lines in order, session part first.
    public var lines: [SDPLine] { sessionLines + media.flatMap(\.lines) }

    /// The `o=` line (RFC 4566 §5.2).
    public var origin: SDPOrigin? {
        sessionLines.first { $0.type == "o" }.flatMap { try? SDPOrigin(checking: $0.value) }
    }

    /// The `s=` session name (RFC 4566 §5.3).
    public var sessionName: Substring? { sessionLines.first { $0.type == "s" }?.value }

    /// The session-level `c=` line (RFC 4566 §5.7), when there is one.
    public var connection: SDPConnection? {
        sessionLines.first { $0.type == "c" }.flatMap { try? SDPConnection(checking: $0.value) }
    }

    /// The session-level `b=` lines (RFC 4566 §5.8).
    public var bandwidths: [SDPBandwidth] {
        sessionLines.compactMap { line in line.type == "b" ? try? SDPBandwidth(checking: line.value) : nil }
    }

    /// The session-level direction attribute, the last one when there are several (RFC 4566 §6).
    public var direction: SDPDirection? {
        sessionLines.reversed().lazy.compactMap { line in
            line.attribute.flatMap { $0.value == nil ? SDPDirection(rawValue: String($0.name)) : nil }
        }.first
    }

    /// The values of the session-level attributes called `name`, in order; a flag gives an empty value.
    public func attributeValues(_ name: String) -> [Substring] {
        sessionLines.compactMap { line in
            guard let attribute = line.attribute, attribute.name == name else { return nil }
            return attribute.value ?? ""
        }
    }

    /// The connection that applies to media section `index`: its own first `c=`, else the session's.
    public func connection(forMedia index: Int) -> SDPConnection? {
        media[index].connections.first ?? connection
    }

    /// The direction that applies to media section `index`: its own, else the session's, else `sendrecv`
    /// (RFC 3264 §5.1).
    public func direction(forMedia index: Int) -> SDPDirection {
        media[index].direction ?? direction ?? .sendrecv
    }

    /// The description as text: untouched lines byte for byte, edited ones canonically.
    ///
    /// A line that came last without a line break and is no longer last gets ``lineEnding``.
    public var text: String {
        var size = trailer.utf8.count
        for line in sessionLines { size += line.text.utf8.count + 2 }
        for section in media { for line in section.lines { size += line.text.utf8.count + 2 } }
        var out = ""
        out.reserveCapacity(size)
        let ending = lineEnding
        let total = sessionLines.count + media.reduce(0) { $0 + $1.lines.count }
        var written = 0
        func write(_ line: SDPLine) {
            written += 1
            out += line.text
            out += (line.ending == .none && written < total ? ending : line.ending).text
        }
        for line in sessionLines { write(line) }
        for section in media { for line in section.lines { write(line) } }
        out += trailer
        return out
    }

    /// The description as UTF-8 bytes (``text``).
    public var bytes: [UInt8] { Array(text.utf8) }
}
