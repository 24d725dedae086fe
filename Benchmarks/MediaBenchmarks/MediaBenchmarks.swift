// The media forward path, one batch at a time, with the real code over loopback sockets: recvmmsg of
// 32 SRTP packets on leg A's socket, unprotect with A's inbound key, protect with B's outbound key,
// sendmmsg out of leg B's socket. The gate is the malloc count per batch: exactly zero.
//
// The engine runs in its reference mode (no Dispatch) so that one `serveOnCurrentThread` round is one
// measured batch; packets are sent before and drained after the measured section.
import Benchmark
import Glibc
import Media
import SRTP
import Transport

let batchSize = 32

final class ForwardPathFixture: @unchecked Sendable {
    let engine: MediaEngine
    let phone: UDPSocket
    let pbx: UDPSocket
    let legA: UDPAddress
    let sender: SRTPContext
    let slot = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    var sequence: UInt16 = 0

    /// With `keyed` false, leg A never gets its peer's key: every packet goes to the early buffer (kept while the
    /// leg has room, then dropped as earlyBufferFull), the path a packet takes before the answer. With `recorded`,
    /// the call is recorded: each packet's payload is also copied into the loop's capture ring (drained outside the
    /// measured section, as the recording writer does off the loop).
    init(keyed: Bool = true, recorded: Bool = false) throws {
        try SRTPLibrary.start()
        var configuration = MediaEngine.Configuration(
            ports: recorded ? 21200...21299 : keyed ? 21000...21099 : 21100...21199, loops: 1, batchSize: batchSize)
        configuration.dispatchDriven = false
        configuration.captureRingBytes = recorded ? 1 << 20 : 0
        engine = try MediaEngine(configuration: configuration)
        phone = try UDPSocket(binding: UDPAddress(ip: "127.0.0.1", port: 0)!)
        pbx = try UDPSocket(binding: UDPAddress(ip: "127.0.0.1", port: 0)!)
        let keys = (0..<4).map { _ in try! SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80) }
        let created = try engine.createSession(callID: "bench", streams: [MediaStreamSpec()])
        let (id, ports) = (created.id, created.ports)
        try engine.updateLeg(
            MediaLegUpdate(
                session: id, stream: 0, side: .a, declaredRTP: phone.localAddress, peerKey: keyed ? keys[0] : nil,
                sottoKey: keys[1]))
        try engine.updateLeg(
            MediaLegUpdate(
                session: id, stream: 0, side: .b, declaredRTP: pbx.localAddress, peerKey: keys[2], sottoKey: keys[3]))
        // The session joins its loop and takes its keys on the loop's queue; the benchmark then serves the
        // loop from this thread, so everything queued must have run first.
        if recorded { engine.setCapture(session: id, handle: 1, excluded: [101]) }
        engine.flush()
        legA = UDPAddress(ip: "127.0.0.1", port: ports[0].rtpA)!
        sender = try SRTPContext(key: keys[0], direction: .outbound)
        // Warm up: the first packet of an SSRC makes libsrtp2 create its streams (set-up, not per packet).
        sendBatch(count: 1)
        forwardOneRound()
        drain()
    }

    func sendBatch(count: Int) {
        for _ in 0..<count {
            sequence &+= 1
            let header: [UInt8] = [0x80, 0, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0, 0, 0, 0, 0, 7]
            slot.copyBytes(from: header)
            let length = sender.protectRTP(slot, length: 172).length!
            var storage = legA.storage
            _ = withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(phone.fd, slot.baseAddress, length, 0, $0, legA.length)
                }
            }
        }
    }

    func forwardOneRound() {
        var rounds = 0
        engine.serveOnCurrentThread(loop: 0) {
            rounds += 1
            return rounds == 1
        }
    }

    func drain() {
        var buffer = [UInt8](repeating: 0, count: 2048)
        while recv(pbx.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 {}
        for ring in engine.captureRings { _ = ring.drain { _ in } }
    }
}

let benchmarks: @Sendable () -> Void = {
    let fixture = LazyFixture()
    Benchmark(
        "forward path, batch of 32 SRTP packets",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, warmupIterations: 5,
            maxDuration: .seconds(2), maxIterations: 2000,
            thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])])
    ) { benchmark in
        let path = try fixture.get()
        path.sendBatch(count: batchSize)
        benchmark.startMeasurement()
        path.forwardOneRound()
        benchmark.stopMeasurement()
        path.drain()
    }
    let recorded = LazyFixture(recorded: true)
    Benchmark(
        "forward path with recording, batch of 32 SRTP packets",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, warmupIterations: 5,
            maxDuration: .seconds(2), maxIterations: 2000,
            thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])])
    ) { benchmark in
        let path = try recorded.get()
        path.sendBatch(count: batchSize)
        benchmark.startMeasurement()
        path.forwardOneRound()
        benchmark.stopMeasurement()
        path.drain()
    }
    let early = LazyFixture(keyed: false)
    Benchmark(
        "early buffer, batch of 32 SRTP packets before the key",
        configuration: .init(
            metrics: [.wallClock, .mallocCountTotal, .throughput], timeUnits: .microseconds, warmupIterations: 5,
            maxDuration: .seconds(2), maxIterations: 2000,
            thresholds: [.mallocCountTotal: .init(absolute: [.p0: 0, .p50: 0, .p100: 0])])
    ) { benchmark in
        let path = try early.get()
        path.sendBatch(count: batchSize)
        benchmark.startMeasurement()
        path.forwardOneRound()
        benchmark.stopMeasurement()
    }
}

/// Made on first use, in the benchmark's own process.
final class LazyFixture: @unchecked Sendable {
    private var fixture: ForwardPathFixture?
    private let keyed: Bool
    private let recorded: Bool
    init(keyed: Bool = true, recorded: Bool = false) {
        self.keyed = keyed
        self.recorded = recorded
    }
    func get() throws -> ForwardPathFixture {
        if let fixture { return fixture }
        let made = try ForwardPathFixture(keyed: keyed, recorded: recorded)
        fixture = made
        return made
    }
}
