/// One media section of a session description: its `m=` line and the `i=`, `c=`, `b=`, `k=` and `a=` lines up to
/// the next `m=` (RFC 4566 §5).
///
/// The section is its ``lines``, kept as they came; the views below read them. Editing helpers
/// (``setConnection(address:port:rtcpPort:)``, ``replaceCryptoAttributes(with:)``, ...) rewrite only the lines they
/// change, canonically, and leave every other line's bytes alone.
public struct SDPMediaDescription: Sendable, Hashable {
    /// The section's lines, the `m=` line first.
    public internal(set) var lines: [SDPLine]
    /// The parsed `m=` line, kept in step with `lines[0]`.
    public internal(set) var field: SDPMediaField
    /// The line break written after lines this section adds: the one the description came with.
    var defaultEnding: SDPLine.Ending

    /// A section holding only its `m=` line, for building a description.
    public init(field: SDPMediaField) {
        self.field = field
        self.defaultEnding = .crlf
        self.lines = [SDPLine(type: "m", value: field.value, ending: .crlf)]
    }

    /// A parsed section; the parser has checked `mLine` and built `field` from it.
    init(mLine: SDPLine, field: SDPMediaField, defaultEnding: SDPLine.Ending) {
        self.lines = [mLine]
        self.field = field
        self.defaultEnding = defaultEnding
    }

    /// The media type: `audio`, `video`, ...
    public var media: String { field.media }
    /// The port of the `m=` line.
    public var port: Int { field.port }
    /// The transport protocol of the `m=` line.
    public var proto: String { field.proto }
    /// Whether the stream is rejected or disabled: port 0 (RFC 3264 §5.1, §6).
    public var isRejected: Bool { field.port == 0 }

    /// The section's own `c=` lines (RFC 4566 §5.7); the session's apply when there are none.
    public var connections: [SDPConnection] {
        lines.compactMap { line in line.type == "c" ? try? SDPConnection(checking: line.value) : nil }
    }

    /// The section's `b=` lines (RFC 4566 §5.8).
    public var bandwidths: [SDPBandwidth] {
        lines.compactMap { line in line.type == "b" ? try? SDPBandwidth(checking: line.value) : nil }
    }

    /// Every attribute of the section, in order: name, and value after the first `:` when there is one.
    public var attributes: [(name: Substring, value: Substring?)] { lines.compactMap(\.attribute) }

    /// The values of the attributes called `name`, in order; a flag attribute gives an empty value.
    public func attributeValues(_ name: String) -> [Substring] {
        lines.compactMap { line in
            guard let attribute = line.attribute, attribute.name == name else { return nil }
            return attribute.value ?? ""
        }
    }

    /// Whether the section has the attribute `name`, with or without a value.
    public func hasAttribute(_ name: String) -> Bool { lines.contains { $0.isAttribute(name) } }

    /// The `a=rtpmap` attributes that parse (RFC 4566 §6), in order.
    public var rtpMaps: [SDPRTPMap] { attributeValues("rtpmap").compactMap { try? SDPRTPMap(checking: $0) } }

    /// The `a=fmtp` attributes that parse (RFC 4566 §6), in order.
    public var formatParameters: [SDPFormatParameters] {
        attributeValues("fmtp").compactMap { try? SDPFormatParameters(checking: $0) }
    }

    /// The `a=ptime` packet time in milliseconds (RFC 4566 §6); nil when absent or not a whole number.
    public var ptime: Int? { attributeValues("ptime").first.flatMap { SDPText.decimal($0, maximumDigits: 6) } }

    /// The `a=maxptime` in milliseconds (RFC 4566 §6); nil when absent or not a whole number.
    public var maxptime: Int? {
        attributeValues("maxptime").first.flatMap { SDPText.decimal($0, maximumDigits: 6) }
    }

    /// The section's own direction attribute, the last one when there are several; nil when it has none
    /// (then the session's applies, and `sendrecv` without one: RFC 4566 §6, RFC 3264 §5.1).
    public var direction: SDPDirection? {
        lines.reversed().lazy.compactMap { line in
            line.attribute.flatMap { $0.value == nil ? SDPDirection(rawValue: String($0.name)) : nil }
        }.first
    }

    /// Whether `a=rtcp-mux` is present: RTP and RTCP share the port (RFC 5761 §5.1.1).
    public var rtcpMux: Bool { hasAttribute("rtcp-mux") }

    /// The `a=rtcp` attribute (RFC 3605 §2.1), when present and well-formed.
    public var rtcp: SDPRTCPAttribute? {
        attributeValues("rtcp").first.flatMap { try? SDPRTCPAttribute(checking: $0) }
    }
}
