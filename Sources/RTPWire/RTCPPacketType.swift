/// The 8-bit RTCP packet type (PT) of the common header, as an open set of values.
///
/// A struct rather than an enum so that a type this module does not name still parses and can be relayed
/// (RFC 3550 §6.1, §12.1; the IANA "RTCP Control Packet Types" registry).
public struct RTCPPacketType: RawRepresentable, Sendable, Hashable {
    /// The packet type octet.
    public var rawValue: UInt8

    /// Wraps a packet type octet.
    @inlinable
    public init(rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// SR, sender report, 200 (RFC 3550 §6.4.1).
    public static let senderReport = RTCPPacketType(rawValue: 200)
    /// RR, receiver report, 201 (RFC 3550 §6.4.2).
    public static let receiverReport = RTCPPacketType(rawValue: 201)
    /// SDES, source description, 202 (RFC 3550 §6.5).
    public static let sourceDescription = RTCPPacketType(rawValue: 202)
    /// BYE, goodbye, 203 (RFC 3550 §6.6).
    public static let goodbye = RTCPPacketType(rawValue: 203)
    /// APP, application-defined, 204 (RFC 3550 §6.7).
    public static let applicationDefined = RTCPPacketType(rawValue: 204)
    /// RTPFB, generic transport-layer feedback, 205 (RFC 4585 §6.1).
    public static let transportFeedback = RTCPPacketType(rawValue: 205)
    /// PSFB, payload-specific feedback, 206 (RFC 4585 §6.1).
    public static let payloadFeedback = RTCPPacketType(rawValue: 206)
    /// XR, extended report, 207 (RFC 3611 §2).
    public static let extendedReport = RTCPPacketType(rawValue: 207)
}
