import SottoTestSupport
import Testing

@testable import RTPWire

/// Known packets for the RTP tests: hex, and the fields a correct parser must read from it.
struct KnownRTPPacket: Sendable, CustomTestStringConvertible {
    let name: String
    let bytes: [UInt8]
    let fields: RTPHeaderFields
    let csrcs: [UInt32]
    let extensionProfile: UInt16?
    let headerLength: Int
    let payload: [UInt8]
    let paddingLength: Int

    var testDescription: String { name }

    static let all: [KnownRTPPacket] = [
        // pion/rtp packet_test.go TestBasic: X set, profile 0x0001, one word of extension, marker, PT 96.
        KnownRTPPacket(
            name: "pion basic",
            bytes: hex("90e0698f d9c293da 1c642782 00010001 ffffffff 9836be899e"),
            fields: RTPHeaderFields(
                marker: true,
                payloadType: 96,
                sequenceNumber: 27023,
                timestamp: 3_653_407_706,
                ssrc: 476_325_762
            ),
            csrcs: [],
            extensionProfile: 0x0001,
            headerLength: 20,
            payload: hex("9836be899e"),
            paddingLength: 0
        ),
        // Hand-built: PCMA (PT 8), two CSRCs, no extension.
        KnownRTPPacket(
            name: "two CSRCs",
            bytes: hex("82080001 000000a0 deadbeef 11111111 22222222 010203"),
            fields: RTPHeaderFields(payloadType: 8, sequenceNumber: 1, timestamp: 160, ssrc: 0xDEAD_BEEF),
            csrcs: [0x1111_1111, 0x2222_2222],
            extensionProfile: nil,
            headerLength: 20,
            payload: hex("010203"),
            paddingLength: 0
        ),
        // Hand-built: P set, two payload octets then three octets of padding (count 3).
        KnownRTPPacket(
            name: "padding",
            bytes: hex("a000ffff ffffffff 00000001 aabb 000003"),
            fields: RTPHeaderFields(
                hasPadding: true,
                payloadType: 0,
                sequenceNumber: 0xFFFF,
                timestamp: 0xFFFF_FFFF,
                ssrc: 1
            ),
            csrcs: [],
            extensionProfile: nil,
            headerLength: 12,
            payload: hex("aabb"),
            paddingLength: 3
        ),
        // Hand-built: the RFC 8285 §4.2 one-byte example behind one CSRC, and an empty payload.
        KnownRTPPacket(
            name: "CSRC and one-byte extension",
            bytes: hex("91ff1234 00000000 0badcafe 00000042 bede0003 10aa21bb bb000033 cccccccc"),
            fields: RTPHeaderFields(
                marker: true,
                payloadType: 127,
                sequenceNumber: 0x1234,
                timestamp: 0,
                ssrc: 0x0BAD_CAFE
            ),
            csrcs: [0x42],
            extensionProfile: 0xBEDE,
            headerLength: 32,
            payload: [],
            paddingLength: 0
        ),
    ]
}

@Suite("RTP header")
struct RTPHeaderTests {
    @Test("known packets parse to their fields", arguments: KnownRTPPacket.all)
    func knownPackets(_ known: KnownRTPPacket) throws {
        try known.bytes.withUnsafeBytes { bytes in
            let header = try RTPHeader.parse(bytes).get()
            #expect(header.version == 2)
            #expect(header.fields == known.fields)
            #expect(Array(header.csrcs) == known.csrcs)
            #expect(header.csrcCount == known.csrcs.count)
            #expect(header.hasExtension == (known.extensionProfile != nil))
            #expect(header.headerExtension?.profile == known.extensionProfile)
            #expect(header.headerLength == known.headerLength)
            #expect(Array(header.payload) == known.payload)
            #expect(header.paddingLength == known.paddingLength)
            #expect(header.payloadRange == known.headerLength..<(known.bytes.count - known.paddingLength))
        }
    }

    @Test("parse → write → the same header bytes", arguments: KnownRTPPacket.all)
    func parseThenWrite(_ known: KnownRTPPacket) throws {
        var out = [UInt8](repeating: 0xEE, count: known.headerLength + 8)
        let written = try known.bytes.withUnsafeBytes { bytes in
            let header = try RTPHeader.parse(bytes).get()
            return try out.withUnsafeMutableBytes { buffer in
                if let ext = header.headerExtension {
                    return try RTPHeader.write(
                        header.fields,
                        csrcs: header.csrcs,
                        extensionProfile: ext.profile,
                        extensionBody: ext.body,
                        into: buffer
                    ).get()
                }
                return try RTPHeader.write(header.fields, csrcs: header.csrcs, into: buffer).get()
            }
        }
        #expect(written == known.headerLength)
        #expect(hexString(out[..<written]) == hexString(known.bytes[..<known.headerLength]))
        #expect(out[written...].allSatisfy { $0 == 0xEE }, "the writer must not touch octets past the header")
    }

    @Test("write → parse → the same fields")
    func writeThenParse() throws {
        let fields = RTPHeaderFields(
            hasPadding: false,
            marker: true,
            payloadType: 111,
            sequenceNumber: 65535,
            timestamp: 0x8000_0001,
            ssrc: 0xCAFE_F00D
        )
        let csrcs: [UInt32] = Array(1...15)
        let body = hex("01020304")  // one word of profile-specific body
        var packet = [UInt8](repeating: 0, count: 100)
        let written = try packet.withUnsafeMutableBytes { buffer in
            try body.withUnsafeBytes { body in
                try RTPHeader.write(fields, csrcs: csrcs, extensionProfile: 0x1234, extensionBody: body, into: buffer)
                    .get()
            }
        }
        #expect(written == 12 + 15 * 4 + 4 + 4)
        try packet.withUnsafeBytes { bytes in
            let header = try RTPHeader.parse(bytes).get()
            #expect(header.fields == fields)
            #expect(Array(header.csrcs) == csrcs)
            #expect(header.headerExtension?.profile == 0x1234)
            #expect(header.headerExtension?.lengthInWords == 1)
            #expect(header.headerLength == written)
            #expect(header.payload.count == 100 - written)
        }
    }

    @Test("a writer refuses what does not fit its fields or the buffer")
    func writerVerdicts() {
        var buffer = [UInt8](repeating: 0, count: 64)
        buffer.withUnsafeMutableBytes { buffer in
            let fields = RTPHeaderFields(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0)
            var badType = fields
            badType.payloadType = 128
            #expect(RTPHeader.write(badType, into: buffer) == .malformed(.fieldOutOfRange))
            #expect(
                RTPHeader.write(fields, csrcs: Array(repeating: 1, count: 16), into: buffer).verdict == .fieldOutOfRange
            )
            let small = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<11])
            #expect(RTPHeader.write(fields, into: small) == .malformed(.bufferTooSmall))
            #expect(RTPHeader.write(fields, into: UnsafeMutableRawBufferPointer(rebasing: buffer[0..<12])) == .ok(12))
            let three: [UInt8] = [1, 2, 3]
            three.withUnsafeBytes { body in
                let result = RTPHeader.write(
                    fields,
                    csrcs: EmptyCollection(),
                    extensionProfile: 1,
                    extensionBody: body,
                    into: buffer
                )
                #expect(result == .malformed(.fieldOutOfRange))
            }
            let word: [UInt8] = [1, 2, 3, 4]
            word.withUnsafeBytes { body in
                let tight = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<19])
                let result = RTPHeader.write(
                    fields,
                    csrcs: EmptyCollection(),
                    extensionProfile: 1,
                    extensionBody: body,
                    into: tight
                )
                #expect(result == .malformed(.bufferTooSmall))
            }
        }
    }

    @Test("every prefix of a known packet gives a verdict or a view inside the prefix", arguments: KnownRTPPacket.all)
    func truncation(_ known: KnownRTPPacket) throws {
        let full = try known.bytes.withUnsafeBytes { try RTPHeader.parse($0).get().fields }
        for length in 0..<known.bytes.count {
            let prefix = Array(known.bytes[..<length])
            prefix.withUnsafeBytes { bytes in
                switch RTPHeader.parse(bytes) {
                case .ok(let header):
                    #expect(length >= known.headerLength, "a prefix shorter than the header parsed (\(length))")
                    #expect(header.fields == full)
                    #expect(header.payloadRange.upperBound <= length)
                    #expect(header.headerLength <= header.payloadRange.lowerBound)
                case .malformed(let verdict):
                    if length < RTPHeader.fixedLength {
                        #expect(verdict == .tooShort)
                    } else {
                        #expect(verdict != .tooShort && verdict != .badVersion)
                    }
                }
            }
        }
    }

    @Test("the padding count is validated, or ignored for SRTP")
    func paddingPolicy() throws {
        // P set; the last octet (0x10 = 16) claims more than the 4 octets after the header.
        let packet = hex("a0000001 00000002 00000003 00000010")
        try packet.withUnsafeBytes { bytes in
            #expect(RTPHeader.parse(bytes).verdict == .paddingOverrun)
            let opaque = try RTPHeader.parse(bytes, padding: .opaque).get()
            #expect(opaque.hasPadding)
            #expect(opaque.paddingLength == 0)
            #expect(opaque.payloadRange == 12..<16)
        }
        // A count that covers exactly the whole payload is valid: an empty payload.
        let allPadding = hex("a0000001 00000002 00000003 00000004")
        try allPadding.withUnsafeBytes { bytes in
            let header = try RTPHeader.parse(bytes).get()
            #expect(header.payload.isEmpty)
            #expect(header.paddingLength == 4)
        }
    }

    @Test("a mutable view rewrites header fields in place and nothing else")
    func mutableSetters() throws {
        let original = hex("91ff1234 00000000 0badcafe 00000042 bede0003 10aa21bb bb000033 cccccccc 55 66")
        var packet = original
        try packet.withUnsafeMutableBytes { bytes in
            let view = try RTPMutableHeader.parse(bytes).get()
            view.sequenceNumber = 0xFFFE
            view.timestamp = 0x0102_0304
            view.ssrc = 0xA1B2_C3D4
            view.marker = false
            view.payloadType = 9
            #expect(view.header.fields.marker == false)
            #expect(view.payloadType == 9)
            view.marker = true
            #expect(view.payloadType == 9, "setting the marker must keep the payload type")
            view.payloadType = 0
            #expect(view.marker, "setting the payload type must keep the marker")
            view.payload[0] = 0x77
        }
        #expect(hexString(packet[0..<12]) == "9180fffe01020304a1b2c3d4")
        #expect(packet[12..<32] == original[12..<32])
        #expect(packet[32...] == [0x77, 0x66])
    }
}
