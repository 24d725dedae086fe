import Glibc
import RTPWire
import Transport

/// `--floor`: the pump's side of a run through the benchmark's floor relay. The floor relay forwards what
/// one port of a pair receives to the address the other port last received from (latching), so before media
/// each side of a call sends a latch packet; once one has come through, both legs are latched and both
/// streams start. Packets go out plain and are not authenticated or compared when they come back: only the
/// RTP header is read, for the sequence number (loss) and the send time (latency).
extension StreamPump {
    /// A call whose legs are not latched yet.
    final class PendingLatch {
        let phone: MediaEndpoint
        let pbx: MediaEndpoint
        let deadline: UInt64
        let completion: @Sendable (UInt64?) -> Void
        var nextTry: UInt64 = 0

        init(
            phone: MediaEndpoint, pbx: MediaEndpoint, deadline: UInt64,
            completion: @escaping @Sendable (UInt64?) -> Void
        ) {
            self.phone = phone
            self.pbx = pbx
            self.deadline = deadline
            self.completion = completion
        }
    }

    /// How long a call's latch packets are retried before the call fails.
    static let latchTimeoutNanoseconds: UInt64 = 5_000_000_000
    /// Between two rounds of a call's latch packets.
    static let latchRetryNanoseconds: UInt64 = 50_000_000
    /// A latch packet: not RTP (its first octet's version bits are 1, not 2), so it is never counted as media.
    static let latchPacket: [UInt8] = Array("floor-latch\n".utf8)

    /// A plain endpoint of `call` on the next shared socket of `side` (from any thread): no SRTP context.
    func plainEndpoint(side: Side, call: CallMedia) -> MediaEndpoint {
        MediaEndpoint(side: side, call: call, socket: sockets.assign(side))
    }

    /// Sends the latch packets that are due, fails the calls past their deadline, and returns when the next
    /// round is due. On the media thread.
    func serviceLatches(now: UInt64) -> UInt64 {
        var earliest = UInt64.max
        for (key, pending) in latching {
            if now >= pending.deadline {
                latching[key] = nil
                pending.completion(nil)
                continue
            }
            if now >= pending.nextTry {
                // The phone side first: the floor relay then usually forwards the PBX side's packet to the phone.
                sendLatch(pending.phone)
                sendLatch(pending.pbx)
                pending.nextTry = now &+ Self.latchRetryNanoseconds
            }
            earliest = min(earliest, pending.nextTry)
        }
        return earliest
    }

    private func sendLatch(_ endpoint: MediaEndpoint) {
        guard let destination = endpoint.destination else { return }
        var storage = destination.storage
        let fd = sockets.sockets[endpoint.socketIndex].fd
        _ = withUnsafePointer(to: &storage) { address in
            address.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                Self.latchPacket.withUnsafeBytes {
                    sendto(fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT), socketAddress, destination.length)
                }
            }
        }
    }

    /// A packet that came back through the floor relay to `endpoint`. A latch packet completes its call's
    /// latching (the relay forwarded it, so both ports of the pair have this run's addresses) and counts
    /// nowhere else; an RTP packet counts as received with its latency.
    func checkPlain(_ endpoint: MediaEndpoint, slot: UnsafeMutableRawBufferPointer, length: Int, arrival: UInt64) {
        let bytes = UnsafeRawBufferPointer(rebasing: slot[..<length])
        if length > 0 && bytes[0] >> 6 != 2 {
            latched(endpoint.call, at: arrival)
            return
        }
        guard let header = RTPHeader.parse(bytes).value else {
            endpoint.statistics.otherDrops += 1
            return
        }
        guard header.ssrc == endpoint.expectedSSRC else {
            endpoint.statistics.wrongSSRC += 1
            return
        }
        let index = endpoint.statistics.indexFor(sequence: header.sequenceNumber)
        record(endpoint, index: index, timestamp: header.timestamp, arrival: arrival)
    }

    private func latched(_ call: CallMedia, at time: UInt64) {
        guard let pending = latching.removeValue(forKey: ObjectIdentifier(call)) else { return }  // a late copy
        startSending(pending.phone)
        startSending(pending.pbx)
        pending.completion(time)
    }
}
