import SottoTestSupport
import Testing

@testable import RTPWire

@Suite("RFC 4733 telephone-event payload")
struct TelephoneEventTests {
    @Test("digit 5, end, volume 10, duration 1600 has the RFC 4733 §2.3 layout")
    func knownEvent() throws {
        let payload = hex("058a0640")
        let event = try payload.withUnsafeBytes { try TelephoneEvent.parse($0).get() }
        #expect(event == TelephoneEvent(event: 5, isEnd: true, volume: 10, duration: 1600))
        #expect(event.reserved == false)
    }

    @Test("the R bit is read and kept, and does not leak into the volume")
    func reservedBit() throws {
        let event = try hex("0b7f0001").withUnsafeBytes { try TelephoneEvent.parse($0).get() }
        #expect(event == TelephoneEvent(event: 11, isEnd: false, reserved: true, volume: 63, duration: 1))
    }

    @Test(
        "write → parse → the same event, and parse → write → the same bytes",
        arguments: [
            TelephoneEvent(event: 5, isEnd: true, volume: 10, duration: 1600),
            TelephoneEvent(event: 0, volume: 0, duration: 0),
            TelephoneEvent(event: 16, isEnd: false, reserved: true, volume: 63, duration: 0xFFFF),
            TelephoneEvent(event: 255, isEnd: true, reserved: true, volume: 1, duration: 0x0102),
        ]
    )
    func roundTrip(_ event: TelephoneEvent) throws {
        var bytes = [UInt8](repeating: 0xEE, count: 6)
        let written = try bytes.withUnsafeMutableBytes { try event.write(into: $0).get() }
        #expect(written == 4)
        #expect(bytes[4...] == [0xEE, 0xEE])
        let parsed = try bytes.withUnsafeBytes { try TelephoneEvent.parse($0).get() }
        #expect(parsed == event)
        var again = [UInt8](repeating: 0, count: 4)
        _ = try again.withUnsafeMutableBytes { try parsed.write(into: $0).get() }
        #expect(again == Array(bytes[..<4]))
    }

    @Test("short payloads, loud volumes and short buffers are verdicts")
    func verdicts() {
        for length in 0..<4 {
            [UInt8](repeating: 0, count: length).withUnsafeBytes { bytes in
                #expect(TelephoneEvent.parse(bytes) == .malformed(.tooShort))
            }
        }
        var out = [UInt8](repeating: 0, count: 4)
        out.withUnsafeMutableBytes { buffer in
            let loud = TelephoneEvent(event: 1, volume: 64, duration: 0)
            #expect(loud.write(into: buffer) == .malformed(.fieldOutOfRange))
            let short = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<3])
            #expect(TelephoneEvent(event: 1, volume: 63, duration: 0).write(into: short) == .malformed(.bufferTooSmall))
        }
    }

    @Test("a whole RTP packet carrying an event parses through to the event")
    func insideRTP() throws {
        // PT 101 with the marker (start of the event), then digit 5 as in the known example.
        let packet = hex("80e50010 00001f40 12345678 058a0640")
        try packet.withUnsafeBytes { bytes in
            let header = try RTPHeader.parse(bytes).get()
            #expect(header.payloadType == 101 && header.marker)
            let event = try TelephoneEvent.parse(header.payload).get()
            #expect(event.event == 5 && event.isEnd && event.volume == 10 && event.duration == 1600)
        }
    }
}
