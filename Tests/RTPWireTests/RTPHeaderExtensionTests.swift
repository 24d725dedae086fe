import SottoTestSupport
import Testing

@testable import RTPWire

/// One element as the tests expect it: identifier and data.
struct ExpectedElement: Equatable, Sendable, CustomStringConvertible {
    let id: UInt8
    let data: [UInt8]

    var description: String { "\(id):\(hexString(data))" }
}

/// Walks the extension of an RTP packet made of a minimal fixed header and `extensionBlock` (profile, length,
/// body), returning the elements seen and the verdict that ended the walk, if any.
func walkElements(_ extensionBlock: [UInt8]) -> (form: RTPHeaderExtension.Form?, [ExpectedElement], RTPWireVerdict?) {
    let packet = hex("90000000 00000000 00000000") + extensionBlock
    return packet.withUnsafeBytes { bytes in
        guard case .ok(let header) = RTPHeader.parse(bytes), let ext = header.headerExtension else {
            return (nil, [], nil)
        }
        guard let elements = ext.elements else { return (ext.form, [], nil) }
        var seen: [ExpectedElement] = []
        for step in elements {
            switch step {
            case .ok(let element):
                #expect(element.dataRange.lowerBound >= ext.bodyRange.lowerBound)
                #expect(element.dataRange.upperBound <= ext.bodyRange.upperBound)
                #expect(Array(element.data) == Array(bytes[element.dataRange]))
                seen.append(ExpectedElement(id: element.id, data: Array(element.data)))
            case .malformed(let verdict):
                return (ext.form, seen, verdict)
            }
        }
        return (ext.form, seen, nil)
    }
}

@Suite("RTP header extensions (RFC 3550 §5.3.1, RFC 8285)")
struct RTPHeaderExtensionTests {
    @Test("the RFC 8285 §4.2 one-byte example")
    func oneByteExample() {
        // The figure in RFC 8285 §4.2: ID 1 with L=0 (1 octet), ID 2 with L=1 (2 octets), two padding octets,
        // ID 3 with L=3 (4 octets); length = 3 words.
        let (form, elements, verdict) = walkElements(hex("bede0003 10aa21bb bb000033 cccccccc"))
        #expect(form == .oneByte)
        #expect(verdict == nil)
        #expect(
            elements == [
                ExpectedElement(id: 1, data: [0xAA]),
                ExpectedElement(id: 2, data: [0xBB, 0xBB]),
                ExpectedElement(id: 3, data: [0xCC, 0xCC, 0xCC, 0xCC]),
            ]
        )
    }

    @Test("the RFC 8285 §4.3 two-byte example")
    func twoByteExample() {
        // The figure in RFC 8285 §4.3: ID 1 with length 0, ID 2 with length 1, one padding octet, ID 3 with
        // length 4; length = 3 words.
        let (form, elements, verdict) = walkElements(hex("10000003 01000201 aa000304 dddddddd"))
        #expect(form == .twoByte(appBits: 0))
        #expect(verdict == nil)
        #expect(
            elements == [
                ExpectedElement(id: 1, data: []),
                ExpectedElement(id: 2, data: [0xAA]),
                ExpectedElement(id: 3, data: [0xDD, 0xDD, 0xDD, 0xDD]),
            ]
        )
    }

    @Test("one-byte ID 15 stops the walk and its length is ignored")
    func reservedIdentifierStops() {
        let (_, elements, verdict) = walkElements(hex("bede0002 10aaff00 21bbbb00"))
        #expect(verdict == nil)
        #expect(elements == [ExpectedElement(id: 1, data: [0xAA])])
    }

    @Test("one-byte ID 0 is one padding octet whatever its length bits")
    func oneBytePaddingWithLengthBits() {
        let (_, elements, verdict) = walkElements(hex("bede0001 0f10aa00"))
        #expect(verdict == nil)
        #expect(elements == [ExpectedElement(id: 1, data: [0xAA])])
    }

    @Test("two-byte application bits are read from the profile")
    func appBits() {
        let (form, elements, _) = walkElements(hex("100a0001 05020102"))
        #expect(form == .twoByte(appBits: 0xA))
        #expect(elements == [ExpectedElement(id: 5, data: [1, 2])])
    }

    @Test("a profile-specific extension has no element iterator")
    func profileSpecific() {
        let (form, elements, verdict) = walkElements(hex("abcd0001 10aa0000"))
        #expect(form == .profileSpecific(0xABCD))
        #expect(elements.isEmpty)
        #expect(verdict == nil)
    }

    @Test(
        "an element that runs past its block is a verdict after the elements before it",
        arguments: [
            ("one-byte data past the end", "bede0001 10aa2bbb", [ExpectedElement(id: 1, data: [0xAA])]),
            ("two-byte data past the end", "10000001 0101aa03", [ExpectedElement(id: 1, data: [0xAA])]),
            ("one-byte header in the last octet", "bede0001 00000010", []),
            ("two-byte length 255 in a one-word block", "10000001 01ff0000", []),
            ("two-byte ID without length octet", "10000001 00000007", []),
        ]
    )
    func elementOverrun(_ name: String, _ block: String, _ before: [ExpectedElement]) {
        let (_, elements, verdict) = walkElements(hex(block))
        #expect(verdict == .extensionElementOverrun, "\(name)")
        #expect(elements == before, "\(name)")
    }

    @Test("write elements → parse → the same elements", arguments: [false, true])
    func writerRoundTrip(twoByte: Bool) throws {
        let wanted = [
            ExpectedElement(id: 1, data: [0x80]),
            ExpectedElement(id: 3, data: Array(0..<16)),
            ExpectedElement(id: 14, data: [9, 9]),
        ]
        var body = [UInt8](repeating: 0xEE, count: 64)
        var profile: UInt16 = 0
        let length = try body.withUnsafeMutableBytes { buffer in
            var writer =
                twoByte ? RTPHeaderExtensionWriter.twoByte(appBits: 3, into: buffer) : .oneByte(into: buffer)
            for element in wanted {
                _ = try element.data.withUnsafeBytes { try writer.append(id: element.id, data: $0).get() }
            }
            profile = writer.profile
            return try writer.finish().get()
        }
        #expect(length % 4 == 0)
        #expect(length == (twoByte ? 28 : 24))
        #expect(profile == (twoByte ? 0x1003 : 0xBEDE))
        let block =
            [UInt8(profile >> 8), UInt8(profile & 0xFF), 0, UInt8(length / 4)] + body[..<length]
        let (form, elements, verdict) = walkElements(block)
        #expect(form == (twoByte ? .twoByte(appBits: 3) : .oneByte))
        #expect(verdict == nil)
        #expect(elements == wanted)
    }

    @Test("the element writer refuses identifiers and lengths its form cannot carry")
    func writerVerdicts() {
        var body = [UInt8](repeating: 0, count: 6)
        body.withUnsafeMutableBytes { buffer in
            var one = RTPHeaderExtensionWriter.oneByte(into: buffer)
            let seventeen = [UInt8](repeating: 1, count: 17)
            seventeen.withUnsafeBytes { data in
                #expect(one.append(id: 1, data: data) == .malformed(.fieldOutOfRange))
            }
            [UInt8]().withUnsafeBytes { empty in
                #expect(one.append(id: 1, data: empty) == .malformed(.fieldOutOfRange))
            }
            [UInt8(1)].withUnsafeBytes { data in
                #expect(one.append(id: 0, data: data) == .malformed(.fieldOutOfRange))
                #expect(one.append(id: 15, data: data) == .malformed(.fieldOutOfRange))
                #expect(one.append(id: 14, data: data) == .ok(2))
                #expect(one.append(id: 13, data: data) == .ok(4))
                #expect(one.append(id: 12, data: data) == .ok(6))
                #expect(one.append(id: 11, data: data) == .malformed(.bufferTooSmall))
            }
            #expect(one.finish() == .malformed(.bufferTooSmall), "6 octets pad to 8, which do not fit")

            var two = RTPHeaderExtensionWriter.twoByte(into: buffer)
            let long = [UInt8](repeating: 1, count: 256)
            long.withUnsafeBytes { data in
                #expect(two.append(id: 200, data: data) == .malformed(.fieldOutOfRange))
            }
            [UInt8]().withUnsafeBytes { empty in
                #expect(two.append(id: 0, data: empty) == .malformed(.fieldOutOfRange))
                #expect(two.append(id: 255, data: empty) == .ok(2))
            }
            #expect(two.finish() == .ok(4))
        }
    }

    @Test("an extension whose header or body overruns the packet is a verdict")
    func extensionOverruns() {
        // X set, no CSRCs, but only 2 octets after the fixed header.
        hex("90000000 00000000 00000000 bede").withUnsafeBytes { bytes in
            #expect(RTPHeader.parse(bytes).verdict == .extensionHeaderOverrun)
        }
        // X set, length 2 words, but only one word of body.
        hex("90000000 00000000 00000000 bede0002 10aa0000").withUnsafeBytes { bytes in
            #expect(RTPHeader.parse(bytes).verdict == .extensionOverrun)
        }
    }
}
