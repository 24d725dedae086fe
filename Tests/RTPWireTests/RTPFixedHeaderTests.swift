import SottoTestSupport
import Testing

@testable import RTPWire

/// The length-only views the per-packet path reads after `srtp_unprotect`: `RTPFixedHeader` and
/// `RTCPHeader.leadingSSRC`.
@Suite("RTP fixed header and RTCP leading SSRC")
struct RTPFixedHeaderTests {
    @Test("the fixed-header view reads the same fields as the full parser", arguments: KnownRTPPacket.all)
    func sameFieldsAsParse(_ known: KnownRTPPacket) throws {
        try known.bytes.withUnsafeBytes { bytes in
            let fixed = try #require(RTPFixedHeader(bytes))
            #expect(fixed.version == 2)
            #expect(fixed.hasPadding == known.fields.hasPadding)
            #expect(fixed.marker == known.fields.marker)
            #expect(fixed.payloadType == known.fields.payloadType)
            #expect(fixed.sequenceNumber == known.fields.sequenceNumber)
            #expect(fixed.timestamp == known.fields.timestamp)
            #expect(fixed.ssrc == known.fields.ssrc)
            #expect(fixed.csrcCount == known.csrcs.count)
            #expect(fixed.hasExtension == (known.extensionProfile != nil))
            #expect(try RTPHeader.parse(bytes).get().fixed.ssrc == known.fields.ssrc)
        }
    }

    @Test("the fixed-header view needs 12 octets and checks nothing else")
    func lengthOnly() {
        let packet = hex("00000001 00000002 00000003")  // version 0: the view does not look
        packet.withUnsafeBytes { bytes in
            for length in 0..<12 {
                #expect(RTPFixedHeader(UnsafeRawBufferPointer(rebasing: bytes[..<length])) == nil)
            }
            let fixed = RTPFixedHeader(bytes)
            #expect(fixed?.version == 0)
            #expect(fixed?.sequenceNumber == 1)
            #expect(fixed?.timestamp == 2)
            #expect(fixed?.ssrc == 3)
        }
    }

    @Test("the leading SSRC is the first packet's SSRC, and needs 8 octets")
    func leadingSSRC() {
        compoundSRSDESBYE.withUnsafeBytes { bytes in
            #expect(RTCPHeader.leadingSSRC(bytes) == 0x1234_5678)
            #expect(RTCPHeader.leadingSSRC(UnsafeRawBufferPointer(rebasing: bytes[..<8])) == 0x1234_5678)
            #expect(RTCPHeader.leadingSSRC(UnsafeRawBufferPointer(rebasing: bytes[..<7])) == nil)
            #expect(RTCPHeader.leadingSSRC(UnsafeRawBufferPointer(rebasing: bytes[..<0])) == nil)
        }
    }
}
