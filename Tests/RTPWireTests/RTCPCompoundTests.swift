import SottoTestSupport
import Testing

@testable import RTPWire

/// A hand-built compound packet: SR (7 words) + SDES with one CNAME chunk (4 words) + BYE (2 words).
let compoundSRSDESBYE = hex(
    """
    80c80006 12345678 83aa7e80 00000000 000000a0 00000001 000000a0
    81ca0003 12345678 01046162 63640000
    81cb0001 12345678
    """
)

/// What one step of a walk produced, for comparing whole walks.
enum WalkStep: Equatable, CustomStringConvertible {
    case packet(type: UInt8, range: Range<Int>, count: UInt8, body: Range<Int>)
    case verdict(RTPWireVerdict)

    var description: String {
        switch self {
        case .packet(let type, let range, let count, let body): "\(type)@\(range) rc=\(count) body=\(body)"
        case .verdict(let verdict): "\(verdict)"
        }
    }
}

func walk(_ packet: [UInt8]) -> [WalkStep] {
    packet.withUnsafeBytes { bytes in
        var steps: [WalkStep] = []
        for step in RTCPCompound(bytes) {
            switch step {
            case .ok(let packet):
                #expect(packet.range.upperBound <= bytes.count)
                #expect(packet.bodyRange.lowerBound <= packet.bodyRange.upperBound)
                #expect(packet.packetBytes.count == packet.header.packetLength)
                steps.append(
                    .packet(
                        type: packet.packetType.rawValue,
                        range: packet.range,
                        count: packet.header.count,
                        body: packet.bodyRange
                    )
                )
            case .malformed(let verdict):
                steps.append(.verdict(verdict))
            }
        }
        return steps
    }
}

@Suite("RTCP compound packets (RFC 3550 §6)")
struct RTCPCompoundTests {
    @Test("an SR + SDES + BYE compound walks to its three packets")
    func knownCompound() throws {
        #expect(
            walk(compoundSRSDESBYE) == [
                .packet(type: 200, range: 0..<28, count: 0, body: 4..<28),
                .packet(type: 202, range: 28..<44, count: 1, body: 32..<44),
                .packet(type: 203, range: 44..<52, count: 1, body: 48..<52),
            ]
        )
        try compoundSRSDESBYE.withUnsafeBytes { bytes in
            #expect(RTCPCompound.validate(bytes) == .ok(3))
            var iterator = RTCPCompound(bytes).makeIterator()
            let sr = try #require(iterator.next()?.value)
            #expect(sr.packetType == .senderReport)
            #expect(sr.ssrc == 0x1234_5678)
            let sdes = try #require(iterator.next()?.value)
            #expect(sdes.packetType == .sourceDescription)
            #expect(Array(sdes.body[4..<10]) == [1, 4] + Array("abcd".utf8))
            let bye = try #require(iterator.next()?.value)
            #expect(bye.packetType == .goodbye)
            #expect(iterator.next() == nil)
            #expect(iterator.next() == nil, "a finished walk stays finished")
        }
    }

    @Test("padding on the last packet is excluded from its body")
    func paddedLastPacket() {
        // RR with no reports, then BYE with P set: length 2 words, 4 octets of padding (count 4).
        let packet = hex("80c90001 11111111 a1cb0002 22222222 00000004")
        #expect(
            walk(packet) == [
                .packet(type: 201, range: 0..<8, count: 0, body: 4..<8),
                .packet(type: 203, range: 8..<20, count: 1, body: 12..<16),
            ]
        )
    }

    @Test(
        "malformed compounds stop at the first bad packet with its verdict",
        arguments: [
            ("empty", "", [WalkStep.verdict(.tooShort)]),
            ("three octets", "80c900", [.verdict(.tooShort)]),
            ("stray octets after a packet", "80c90001 11111111 0000", [.verdict(.tooShort)]),
            ("version 1", "40c90001 11111111", [.verdict(.badVersion)]),
            ("version 2 then version 0", "80c90001 11111111 00c90001 11111111", [.verdict(.badVersion)]),
            ("length past the end", "80c90002 11111111", [.verdict(.lengthOverrun)]),
            ("padding on the first of two", "a0c90001 11111101 81cb0001 22222222", [.verdict(.misplacedPadding)]),
            ("padding count zero", "a1cb0001 22222200", [.verdict(.badPadding)]),
            ("padding into the header", "a1cb0001 22222205", [.verdict(.paddingOverrun)]),
        ]
    )
    func malformed(_ name: String, _ packet: String, _ expected: [WalkStep]) {
        let steps = walk(hex(packet))
        // Packets before the bad one are still yielded; compare the tail.
        #expect(Array(steps.suffix(expected.count)) == expected, "\(name)")
        #expect(steps.filter { if case .verdict = $0 { true } else { false } }.count == 1, "\(name)")
    }

    @Test("every prefix of a compound walks the whole packets inside it, then gives the right verdict")
    func truncation() {
        let starts = [0, 28, 44]
        let full = walk(compoundSRSDESBYE)
        for length in 0..<compoundSRSDESBYE.count {
            let start = starts.last { $0 <= length } ?? 0
            let whole = starts.firstIndex(of: start) ?? 0
            let rest = length - start
            var expected = Array(full.prefix(whole))
            if rest > 0 || length == 0 {
                // Under 4 octets there is no common header; from 4 on the header's length overruns the prefix.
                expected.append(.verdict(rest < RTCPHeader.length ? .tooShort : .lengthOverrun))
            }
            #expect(walk(Array(compoundSRSDESBYE[..<length])) == expected, "prefix of \(length) octets")
        }
    }

    @Test("common header: write → parse → the same fields, and parse → write → the same bytes")
    func headerRoundTrip() throws {
        let header = RTCPHeader(hasPadding: true, count: 31, packetType: .payloadFeedback, length: 2)
        var out = [UInt8](repeating: 0, count: 12)
        let written = try out.withUnsafeMutableBytes { try header.write(into: $0).get() }
        #expect(written == 4)
        #expect(hexString(out[..<4]) == "bfce0002")
        let parsed = try out.withUnsafeBytes { try RTCPHeader.parse($0).get() }
        #expect(parsed == header)
        #expect(parsed.packetLength == 12)

        let original = Array(compoundSRSDESBYE[28..<44])
        var again = [UInt8](repeating: 0, count: 4)
        try original.withUnsafeBytes { bytes in
            let sdes = try RTCPHeader.parse(bytes).get()
            _ = try again.withUnsafeMutableBytes { try sdes.write(into: $0).get() }
        }
        #expect(again == Array(original[..<4]))
    }

    @Test("the common header writer refuses a count above 31 or a short buffer")
    func headerWriterVerdicts() {
        var out = [UInt8](repeating: 0, count: 4)
        out.withUnsafeMutableBytes { buffer in
            let tooMany = RTCPHeader(count: 32, packetType: .receiverReport, length: 1)
            #expect(tooMany.write(into: buffer) == .malformed(.fieldOutOfRange))
            let fine = RTCPHeader(count: 0, packetType: .receiverReport, length: 1)
            let short = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<3])
            #expect(fine.write(into: short) == .malformed(.bufferTooSmall))
        }
    }

    @Test(
        "packet type constants carry their RFC values",
        arguments: [
            (RTCPPacketType.senderReport, 200), (.receiverReport, 201), (.sourceDescription, 202), (.goodbye, 203),
            (.applicationDefined, 204), (.transportFeedback, 205), (.payloadFeedback, 206), (.extendedReport, 207),
        ] as [(RTCPPacketType, UInt8)]
    )
    func packetTypes(_ type: RTCPPacketType, _ value: UInt8) {
        #expect(type.rawValue == value)
    }
}
