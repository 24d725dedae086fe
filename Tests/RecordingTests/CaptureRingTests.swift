import Recording
import Testing

@Suite struct CaptureRingTests {
    static func push(_ ring: CaptureRing, handle: UInt32, sequence: UInt16, payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes {
            ring.push(
                handle: handle, leg: sequence % 2 == 0 ? .pbx : .softphone, stream: 1, payloadType: 111,
                sequence: sequence, timestamp: UInt32(sequence) * 960, ssrc: 0xABCD, arrival: UInt64(sequence) * 20,
                payload: $0)
        }
    }

    struct Seen: Equatable {
        var handle: UInt32
        var leg: RecordedLeg
        var sequence: UInt16
        var timestamp: UInt32
        var arrival: UInt64
        var payload: [UInt8]
    }

    static func drain(_ ring: CaptureRing) -> [Seen] {
        var seen: [Seen] = []
        _ = ring.drain {
            #expect($0.stream == 1 && $0.payloadType == 111 && $0.ssrc == 0xABCD)
            seen.append(
                Seen(
                    handle: $0.handle, leg: $0.leg, sequence: $0.sequence, timestamp: $0.timestamp,
                    arrival: $0.arrival, payload: Array($0.payload)))
        }
        return seen
    }

    @Test func carriesEveryFieldAndPayloadInOrder() {
        let ring = CaptureRing(bytes: 65_536)
        for sequence in UInt16(0)..<50 {
            #expect(
                Self.push(
                    ring, handle: 7, sequence: sequence,
                    payload: Array(repeating: UInt8(sequence), count: Int(sequence) + 1)))
        }
        let seen = Self.drain(ring)
        #expect(seen.count == 50)
        for (index, packet) in seen.enumerated() {
            let sequence = UInt16(index)
            #expect(
                packet
                    == Seen(
                        handle: 7, leg: sequence % 2 == 0 ? .pbx : .softphone, sequence: sequence,
                        timestamp: UInt32(sequence) * 960, arrival: UInt64(sequence) * 20,
                        payload: Array(repeating: UInt8(sequence), count: index + 1)))
        }
        #expect(ring.pendingBytes == 0 && ring.overruns == 0)
    }

    /// Records that do not fit before the end of the buffer wrap to its start; a reader sees them whole.
    @Test func wrapsAroundManyTimes() {
        let ring = CaptureRing(bytes: 65_536)
        var next: UInt16 = 0
        for _ in 0..<200 {
            for _ in 0..<37 {
                #expect(
                    Self.push(
                        ring, handle: 1, sequence: next,
                        payload: Array(repeating: UInt8(truncatingIfNeeded: next), count: 173)))
                next &+= 1
            }
            let seen = Self.drain(ring)
            #expect(seen.count == 37)
            #expect(
                seen.allSatisfy { $0.payload == Array(repeating: UInt8(truncatingIfNeeded: $0.sequence), count: 173) })
        }
        #expect(ring.overruns == 0)
    }

    /// A full ring loses the packet and counts it; what is in it is intact, and room comes back once read.
    @Test func aFullRingCountsOverrunsAndLosesNothingElse() {
        let ring = CaptureRing(bytes: 65_536)
        var accepted = 0
        for sequence in UInt16(0)..<1000
        where Self.push(ring, handle: 2, sequence: sequence, payload: Array(repeating: 1, count: 160)) {
            accepted += 1
        }
        // 192-byte records in 64 KiB: 341 fit.
        #expect(accepted == 65_536 / 192)
        #expect(ring.overruns == UInt64(1000 - accepted))
        let seen = Self.drain(ring)
        #expect(seen.count == accepted)
        #expect(seen.map(\.sequence) == (0..<UInt16(accepted)).map { $0 })
        #expect(Self.push(ring, handle: 2, sequence: 5000, payload: [1, 2, 3]))
    }

    @Test func refusesAnOversizePayload() {
        let ring = CaptureRing(bytes: 65_536)
        #expect(
            !Self.push(ring, handle: 3, sequence: 1, payload: Array(repeating: 0, count: CaptureRing.maxPayload + 1)))
        #expect(ring.overruns == 1)
        #expect(Self.drain(ring).isEmpty)
    }

    /// One writer thread and one reader thread at once: every packet arrives once, in order, intact.
    @Test func oneProducerAndOneConsumerConcurrently() async {
        let ring = CaptureRing(bytes: 65_536)
        let total = 20_000
        let producer = Task.detached {
            var sequence = 0
            while sequence < total {
                if Self.push(
                    ring, handle: 9, sequence: UInt16(truncatingIfNeeded: sequence),
                    payload: Array(repeating: UInt8(truncatingIfNeeded: sequence), count: 100 + sequence % 60))
                {
                    sequence += 1
                }
            }
        }
        var received = 0
        var intact = true
        while received < total {
            _ = ring.drain { packet in
                let expected = UInt16(truncatingIfNeeded: received)
                if packet.sequence != expected || packet.payload.count != 100 + received % 60
                    || packet.payload.contains(where: { $0 != UInt8(truncatingIfNeeded: received) })
                {
                    intact = false
                }
                received += 1
            }
            await Task.yield()
        }
        await producer.value
        #expect(intact && received == total)
    }
}
