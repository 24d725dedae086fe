// The per-packet crypto hot path: protect, unprotect and relay (unprotect with leg A's inbound
// context, then protect with leg B's outbound context in the same buffer) for every suite and three
// payload sizes, on Sotto's OpenSSL types and on libsrtp2's stock types; a "limit" row per suite and
// size timing the bare OpenSSL calls one packet needs; and a control that allocates once per
// iteration, so a zero malloc count is known to come from a live counter.
//
// package-benchmark runs every benchmark in a process of its own, which is what lets one binary
// hold both backends: libsrtp2's type replacement is process-wide and chosen on first use.
import Benchmark
import CCryptoLimit
import SRTP

let payloadSizes = [60, 160, 1200]

func configuration(zeroMallocs: Bool) -> Benchmark.Configuration {
    // Sotto's per-packet paths must not allocate: the threshold is exactly zero.
    let zeroAllocations: [BenchmarkMetric: BenchmarkThresholds] = [
        .mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])
    ]
    return .init(
        metrics: [.wallClock, .mallocCountTotal, .throughput],
        timeUnits: .nanoseconds,
        warmupIterations: 3,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 600,
        thresholds: zeroMallocs ? zeroAllocations : nil
    )
}

/// An RTP packet buffer with tailroom, and helpers to stamp a sequence number.
final class Slots {
    let stride = 1500 + SRTPContext.maximumTrailerLength
    let count: Int
    let memory: UnsafeMutableRawBufferPointer
    var lengths: [Int]

    init(count: Int) {
        self.count = count
        memory = .allocate(byteCount: stride * count, alignment: 64)
        lengths = Array(repeating: 0, count: count)
    }
    deinit { memory.deallocate() }

    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: memory[(index * stride)..<((index + 1) * stride)])
    }

    /// Writes a plain RTP packet (PT 111, SSRC 0x50770771) with the given payload size.
    func writeRTP(_ index: Int, seq: UInt16, payload: Int) -> Int {
        let buffer = slot(index)
        let header: [UInt8] = [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xFF), 0, 0, 0x03, 0xC0, 0x50, 0x77, 0x07, 0x71]
        buffer.copyBytes(from: header)
        for i in 0..<payload { buffer[12 + i] = UInt8(truncatingIfNeeded: i &* 31) }
        return 12 + payload
    }

    static func stampSequence(_ buffer: UnsafeMutableRawBufferPointer, _ seq: UInt16) {
        buffer.storeBytes(of: seq.bigEndian, toByteOffset: 2, as: UInt16.self)
    }
}

/// The contexts of one benchmark, made on its first sample (in the benchmark's own process, once
/// the backend is chosen) and warmed up so that libsrtp2 has already created its per-SSRC streams:
/// what is measured is the steady state of a call, not its first packet.
final class Legs: @unchecked Sendable {
    private var made:
        (a: (sender: SRTPContext, receiver: SRTPContext), b: (sender: SRTPContext, receiver: SRTPContext))?
    private var sequence: UInt16 = 0

    func get(_ profile: SRTPProfile, _ backend: SRTPCryptoBackend) throws -> (
        a: (sender: SRTPContext, receiver: SRTPContext), b: (sender: SRTPContext, receiver: SRTPContext)
    ) {
        if let made { return made }
        try SRTPLibrary.start(backend: backend)
        func pair() throws -> (sender: SRTPContext, receiver: SRTPContext) {
            let key = try SRTPKeyMaterial.generate(for: profile)
            return (try SRTPContext(key: key, direction: .outbound), try SRTPContext(key: key, direction: .inbound))
        }
        let legs = (a: try pair(), b: try pair())
        let slots = Slots(count: 1)
        for leg in [legs.a, legs.b] {
            let length = leg.sender.protectRTP(slots.slot(0), length: slots.writeRTP(0, seq: next(), payload: 20))
                .length!
            _ = leg.receiver.unprotectRTP(slots.slot(0), length: length)
        }
        made = legs
        return legs
    }

    func next() -> UInt16 {
        sequence &+= 1
        return sequence
    }
}

func registerSRTP(_ profile: SRTPProfile, payload: Int, backend: SRTPCryptoBackend) {
    // Names lead with suite and size so that package-benchmark, which runs them in name order, runs a
    // suite's sotto, stock and limit rows back to back: on a shared machine, the closer in time two
    // figures are taken, the fairer their ratio.
    let implementation = backend == .openssl ? "sotto" : "stock"
    let prefix = "\(profile.rawValue) \(payload)B"
    let config = configuration(zeroMallocs: backend == .openssl)

    let protectLegs = Legs()
    Benchmark("\(prefix) protect \(implementation)", configuration: config) { benchmark in
        let leg = try protectLegs.get(profile, backend).a
        let slots = Slots(count: 1)
        let buffer = slots.slot(0)
        let length = slots.writeRTP(0, seq: 0, payload: payload)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            // In place, again and again: the header is restamped, the payload is whatever the last
            // round left (any bytes are a valid payload), the tag lands past `length` each time.
            Slots.stampSequence(buffer, protectLegs.next())
            blackHole(leg.sender.protectRTP(buffer, length: length))
        }
        benchmark.stopMeasurement()
    }

    let unprotectLegs = Legs()
    Benchmark("\(prefix) unprotect \(implementation)", configuration: config) { benchmark in
        let leg = try unprotectLegs.get(profile, backend).a
        // One sample is one batch (scalingFactor .kilo): protect it outside the measured section,
        // then unprotect it inside. Sequence numbers carry on from sample to sample.
        let batch = benchmark.scaledIterations.count
        let slots = Slots(count: batch)
        for index in 0..<batch {
            let plain = slots.writeRTP(index, seq: unprotectLegs.next(), payload: payload)
            slots.lengths[index] = leg.sender.protectRTP(slots.slot(index), length: plain).length!
        }
        benchmark.startMeasurement()
        for index in 0..<batch {
            blackHole(leg.receiver.unprotectRTP(slots.slot(index), length: slots.lengths[index]))
        }
        benchmark.stopMeasurement()
    }

    let relayLegs = Legs()
    Benchmark("\(prefix) relay \(implementation)", configuration: config) { benchmark in
        // Leg A: the softphone's key (it sends, Sotto receives). Leg B: the key Sotto gave the PBX.
        let (legA, legB) = try relayLegs.get(profile, backend)
        let batch = benchmark.scaledIterations.count
        let slots = Slots(count: batch)
        for index in 0..<batch {
            let plain = slots.writeRTP(index, seq: relayLegs.next(), payload: payload)
            slots.lengths[index] = legA.sender.protectRTP(slots.slot(index), length: plain).length!
        }
        benchmark.startMeasurement()
        for index in 0..<batch {
            let buffer = slots.slot(index)
            if let plain = legA.receiver.unprotectRTP(buffer, length: slots.lengths[index]).length {
                blackHole(legB.sender.protectRTP(buffer, length: plain))
            }
        }
        benchmark.stopMeasurement()
    }
}

func registerLimit(_ profile: SRTPProfile, payload: Int) {
    Benchmark("\(profile.rawValue) \(payload)B limit", configuration: configuration(zeroMallocs: true)) { benchmark in
        let key = (0..<profile.masterKeyLength).map { UInt8($0) }
        let authKey = (0..<20).map { UInt8($0 + 100) }
        var iv = [UInt8](repeating: 0x5A, count: 16)
        let slots = Slots(count: 1)
        let buffer = slots.slot(0).baseAddress!.assumingMemoryBound(to: UInt8.self)
        _ = slots.writeRTP(0, seq: 1, payload: payload)
        if profile.isAEAD {
            let gcm = CCryptoLimit_gcm_new(key, Int32(key.count))
            defer { CCryptoLimit_gcm_free(gcm) }
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                iv[11] = UInt8(truncatingIfNeeded: i)  // a new IV per packet, as SRTP has
                blackHole(CCryptoLimit_gcm_packet(gcm, iv, buffer, 12, Int32(payload)))
            }
            benchmark.stopMeasurement()
        } else {
            let cm = CCryptoLimit_cm_new(key, Int32(key.count), authKey)
            defer { CCryptoLimit_cm_free(cm) }
            benchmark.startMeasurement()
            for i in benchmark.scaledIterations {
                iv[15] = UInt8(truncatingIfNeeded: i)
                blackHole(CCryptoLimit_cm_packet(cm, iv, buffer, 12, Int32(payload), Int32(profile.rtpTagLength)))
            }
            benchmark.stopMeasurement()
        }
    }
}

let benchmarks: @Sendable () -> Void = {
    for profile in SRTPProfile.allCases {
        for payload in payloadSizes {
            registerSRTP(profile, payload: payload, backend: .openssl)
            registerSRTP(profile, payload: payload, backend: .stock)
            registerLimit(profile, payload: payload)
        }
    }

    // The control: exactly one allocation per iteration, so the malloc counter is seen to count.
    Benchmark("control one malloc per packet", configuration: configuration(zeroMallocs: false)) { benchmark in
        for _ in benchmark.scaledIterations {
            let pointer = UnsafeMutableRawPointer.allocate(byteCount: 64, alignment: 16)
            blackHole(pointer)
            pointer.deallocate()
        }
    }
}
