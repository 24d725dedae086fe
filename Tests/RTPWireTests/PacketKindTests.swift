import Testing

@testable import RTPWire

@Suite("RTP/RTCP/STUN/DTLS demultiplexing (RFC 5761 §4, RFC 7983 §7)")
struct PacketKindTests {
    @Test(
        "classification by the first two octets",
        arguments: [
            ("empty", [], PacketKind.unknown),
            ("lone RTP first octet", [0x80], .unknown),
            ("STUN binding request", [0x00, 0x01, 0x00, 0x00], .stun),
            ("STUN, first octet 3", [0x03, 0x00], .stun),
            ("first octet 4", [0x04, 0x00], .unknown),
            ("first octet 15", [0x0F, 0x00], .unknown),
            ("ZRTP, first octet 16", [0x10, 0x00], .zrtp),
            ("ZRTP, first octet 19", [0x13, 0x00], .zrtp),
            ("DTLS handshake (22)", [0x16, 0xFE, 0xFD], .dtls),
            ("DTLS, first octet 20", [0x14, 0xFE], .dtls),
            ("DTLS, first octet 63", [0x3F, 0x00], .dtls),
            ("TURN channel 0x4000", [0x40, 0x00, 0x00, 0x04], .turnChannel),
            ("TURN, first octet 79", [0x4F, 0xFF], .turnChannel),
            ("first octet 80", [0x50, 0x00], .unknown),
            ("version 1 RTP", [0x40 | 0x3F, 0x00], .unknown),
            ("RTP PCMU", [0x80, 0x00], .rtp),
            ("RTP PT 96 with marker (224)", [0x80, 0xE0], .rtp),
            ("RTP PT 63 with marker (191)", [0x80, 0xBF], .rtp),
            ("RTCP SR (200)", [0x80, 0xC8], .rtcp),
            ("RTCP RR with a report (201)", [0x81, 0xC9], .rtcp),
            ("RTCP PSFB (206)", [0x8F, 0xCE], .rtcp),
            ("second octet 192", [0x80, 0xC0], .rtcp),
            ("second octet 223", [0x80, 0xDF], .rtcp),
            ("version 2, P and X set, first octet 191", [0xBF, 0xC8], .rtcp),
            ("version 3", [0xC0, 0xC8], .unknown),
            ("first octet 255", [0xFF, 0xFF], .unknown),
        ] as [(String, [UInt8], PacketKind)]
    )
    func classify(_ name: String, _ bytes: [UInt8], _ kind: PacketKind) {
        bytes.withUnsafeBytes { bytes in
            #expect(PacketKind.classify(bytes) == kind, "\(name)")
        }
    }

    @Test("every first octet falls in exactly the RFC 7983 range it belongs to")
    func everyFirstOctet() {
        for first in 0...255 {
            let kind = [UInt8(first), 0x00].withUnsafeBytes { PacketKind.classify($0) }
            let expected: PacketKind =
                switch first {
                case 0...3: .stun
                case 16...19: .zrtp
                case 20...63: .dtls
                case 64...79: .turnChannel
                case 128...191: .rtp
                default: .unknown
                }
            #expect(kind == expected, "first octet \(first)")
        }
    }

    @Test("the known packets classify as what they are")
    func knownPackets() {
        compoundSRSDESBYE.withUnsafeBytes { #expect(PacketKind.classify($0) == .rtcp) }
        for known in KnownRTPPacket.all {
            known.bytes.withUnsafeBytes { #expect(PacketKind.classify($0) == .rtp, "\(known.name)") }
        }
    }
}
