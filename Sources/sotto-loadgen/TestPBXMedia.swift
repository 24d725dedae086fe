import Dispatch
import RTPWire
import SRTP
import Transport

/// One answered call's media at the test PBX: its own UDP socket, the key it decrypts the relay's packets
/// with (the offer's) and the key it encrypts its own with (its answer's). Touched only on the media loop.
final class TestPBXCallMedia: @unchecked Sendable {
    let callID: String
    let service: TestPBXService
    let socket: UDPSocket
    let inbound: SRTPContext
    let outbound: SRTPContext
    let payloadType: UInt8
    /// The PBX's own SSRC (RFC 3550 §8: a stream of its own, not the caller's).
    let ssrc = UInt32.random(in: 1...UInt32.max)
    /// Where packets go: the offer's address until the first authenticated packet shows where the relay sends
    /// from (symmetric RTP).
    var destination: UDPAddress
    let tone: ToneFrames?
    let intervalNanoseconds: UInt64
    var nextSend: UInt64 = 0
    var sending = false
    /// Packets received that authenticated, packets sent, and packets dropped (authentication, not RTP, other
    /// payload types).
    var received = 0
    var sent = 0
    var dropped = 0
    private var toneIndex = 0
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)

    init(
        callID: String, plan: TestPBXAnswerPlan, socket: UDPSocket, ownKey: SRTPKeyMaterial, destination: UDPAddress,
        tone: ToneFrames?
    ) throws(SRTPError) {
        self.callID = callID
        service = plan.service
        self.socket = socket
        inbound = try SRTPContext(key: plan.offererKey, direction: .inbound)
        outbound = try SRTPContext(key: ownKey, direction: .outbound)
        payloadType = UInt8(clamping: plan.codec.payloadType)
        self.destination = destination
        self.tone = tone
        intervalNanoseconds = UInt64(plan.ptime) * 1_000_000
    }

    /// What happened to one received datagram.
    enum EchoVerdict: Equatable {
        /// Sent back: this many bytes, protected, are in the buffer.
        case echo(Int)
        /// Authenticated, but not to be echoed (RTCP, another payload type such as telephone-event).
        case skipped
        /// Did not authenticate or was not RTP.
        case dropped
    }

    /// A received datagram, in place. For an echo call: decrypts `length` bytes of `buffer` with the caller's key, puts the PBX's own SSRC
    /// in (sequence number, timestamp, marker and payload stay the caller's, so the stream continues as the
    /// caller sent it, with the caller's gaps) and encrypts it with the PBX's key. Nothing is transcoded: the
    /// caller hears its own codec frames. `buffer` needs room for the SRTP trailer past `length`.
    func echo(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> EchoVerdict {
        // RFC 5761 §4: RTCP on the muxed port is authenticated by the relay; the PBX sends none and ignores it.
        if PacketKind.classify(UnsafeRawBufferPointer(rebasing: buffer[..<length])) == .rtcp { return .skipped }
        guard case .ok(let plain) = inbound.unprotectRTP(buffer, length: length),
            let header = RTPHeader.parse(UnsafeRawBufferPointer(rebasing: buffer[..<plain])).value
        else { return .dropped }
        // A tone call only listens: its key's packet indexes belong to the tone stream.
        guard service == .echo, header.payloadType == payloadType else { return .skipped }
        buffer.storeBytes(of: ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
        guard case .ok(let protected) = outbound.protectRTP(buffer, length: plain) else { return .dropped }
        return .echo(protected)
    }

    /// Writes the next tone packet into `buffer` and protects it; returns its length.
    func nextTonePacket(into buffer: UnsafeMutableRawBufferPointer) -> Int? {
        guard let tone else { return nil }
        let frame = tone.frames[toneIndex % tone.frames.count]
        let fields = RTPHeaderFields(
            marker: toneIndex == 0, payloadType: payloadType, sequenceNumber: sequence, timestamp: timestamp, ssrc: ssrc
        )
        guard let header = RTPHeader.write(fields, into: buffer).value else { return nil }
        frame.withUnsafeBytes { (buffer.baseAddress! + header).copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        toneIndex += 1
        sequence &+= 1
        timestamp &+= UInt32(truncatingIfNeeded: tone.samplesPerFrame)
        guard case .ok(let length) = outbound.protectRTP(buffer, length: header + frame.count) else { return nil }
        return length
    }
}

/// The test PBX's media: one epoll set (a Transport `MediaLoop` on Dispatch) over every call's socket, and a
/// timer that paces the tone calls. A handful of calls, so one loop is plenty.
final class TestPBXMedia: MediaLoopHandler, @unchecked Sendable {
    private let loop: MediaLoop
    private let batch = DatagramBatch(capacity: 32, datagramSize: 1500, tailroom: SRTPContext.maximumTrailerLength)
    private var calls: [UInt64: TestPBXCallMedia] = [:]
    private var nextToken: UInt64 = 1
    private var timer: DispatchSourceTimer?
    private let epoch = DispatchTime.now().uptimeNanoseconds

    init() throws(LoadgenError) {
        do {
            loop = try MediaLoop(label: "test-pbx-media", maxEvents: 64)
        } catch {
            throw LoadgenError("the media loop has no epoll set: \(error.reason)")
        }
        loop.start()
        let timer = DispatchSource.makeTimerSource(queue: loop.queue)
        timer.schedule(deadline: .now(), repeating: .milliseconds(5))
        // Weak, and cancelled in deinit: the PBX is let go when it stops, while the timer may already have queued
        // its next tick (an unowned reference there crashed the process on its way out, exit status non-zero).
        timer.setEventHandler { [weak self] in self?.sendTones() }
        self.timer = timer
        timer.resume()
    }

    deinit { timer?.cancel() }

    private func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds &- epoch }

    /// Starts serving a call's socket (the echo answers whatever arrives; a tone waits for ``startTone(_:)``).
    func add(_ call: TestPBXCallMedia) {
        loop.submit { [self] in
            let token = nextToken
            nextToken += 1
            do {
                try loop.register(fd: call.socket.fd, token: token, handler: self)
                calls[token] = call
            } catch {
                call.socket.close()
            }
        }
    }

    /// The tone starts at the ACK: a relay drops packets that reach it before it has the answer.
    func startTone(callID: String) {
        loop.submit { [self] in
            for call in calls.values where call.callID == callID && call.service == .tone && !call.sending {
                call.sending = true
                call.nextSend = now()
            }
        }
    }

    /// Ends a call's media; `done` gets its counters (received, sent, dropped) on the media loop.
    func remove(callID: String, done: @escaping @Sendable (Int, Int, Int) -> Void) {
        loop.submit { [self] in
            for (token, call) in calls where call.callID == callID {
                loop.deregister(fd: call.socket.fd, token: token)
                calls[token] = nil
                call.socket.close()
                done(call.received, call.sent, call.dropped)
            }
        }
    }

    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
        guard let call = calls[token] else { return 0 }
        let count = batch.receive(from: fd)
        guard count > 0 else { return 0 }
        var queued = 0
        for index in 0..<count {
            switch call.echo(batch.slot(index), length: batch.length(index)) {
            case .echo(let length):
                call.received += 1
                // The first authenticated packet tells where the relay sends from: answer there.
                call.destination = batch.source(index)
                batch.queue(entry: queued, slot: index, length: length, to: call.destination)
                queued += 1
            case .skipped:
                call.received += 1
                call.destination = batch.source(index)
            case .dropped:
                call.dropped += 1
            }
        }
        let accepted = max(0, batch.send(count: queued, from: fd))
        call.sent += accepted
        return count
    }

    private func sendTones() {
        let now = now()
        for call in calls.values where call.sending {
            var burst = 0
            while call.nextSend <= now && burst < 8 {
                call.nextSend &+= call.intervalNanoseconds
                burst += 1
                guard let length = call.nextTonePacket(into: batch.slot(0)) else { continue }
                batch.queue(entry: 0, slot: 0, length: length, to: call.destination)
                if batch.send(count: 1, from: call.socket.fd) == 1 { call.sent += 1 }
            }
            if call.nextSend <= now { call.nextSend = now &+ call.intervalNanoseconds }
        }
    }
}
