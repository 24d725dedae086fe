/// Editing the `m=` line's port and transport protocol (RFC 4566 §5.14) without touching the section's other lines:
/// the Proxy disables a stream with port 0 (RFC 3264 §6, §8.2) and writes the SRTP profile it relays.
extension SDPMediaDescription {
    /// Sets the `m=` port, keeping the port count, protocol and formats; port 0 disables the stream
    /// (RFC 3264 §8.2). The line keeps its exact bytes when the port is already `port`.
    public mutating func setPort(_ port: Int) throws(SDPError) {
        guard port != field.port else { return }
        guard (0...65535).contains(port) else {
            throw SDPError(.invalidValue, "a port is 0 to 65535", offset: 0, expected: "a port in 0...65535")
        }
        setField(field.with(port: port))
    }

    /// Sets the `m=` transport protocol (`RTP/SAVP`, `RTP/SAVPF`, ...), keeping the port, port count and formats.
    /// The line keeps its exact bytes when the protocol is already `proto`, spelled the same way.
    public mutating func setProto(_ proto: String) throws(SDPError) {
        guard proto != field.proto else { return }
        let edited = try SDPMediaField(
            media: field.media, port: field.port, portCount: field.portCount, proto: proto, formats: field.formats)
        setField(edited)
    }

    /// Writes `edited` as the `m=` line, canonically, with the old line's break (the description's when the old
    /// line was the last one and had none).
    private mutating func setField(_ edited: SDPMediaField) {
        field = edited
        let ending = lines[0].ending == .none ? defaultEnding : lines[0].ending
        lines[0] = SDPLine(type: "m", value: edited.value, ending: ending)
    }
}
