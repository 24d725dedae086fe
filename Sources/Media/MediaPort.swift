import Glibc
internal import RTPWire
internal import Recording
internal import SRTP
internal import Transport

/// The loop handler for one media socket: receives a batch, authenticates and decrypts each packet with the receiving
/// leg's inbound context, latches, re-encrypts in the same slot with the other leg's outbound context and sends the
/// batch out of the other leg's socket (docs/architecture.md, "A packet, step by step").
///
/// Nothing here allocates, locks, throws or formats a string per packet; counters move once per batch.
final class MediaPort: MediaLoopHandler, @unchecked Sendable {
    unowned(unsafe) let leg: MediaLeg
    /// True for the dedicated RTCP socket of a leg without rtcp-mux.
    let isRTCPPort: Bool
    let batch: DatagramBatch
    /// The loop's store for packets that arrive before their leg's key.
    let early: EarlyPacketStore
    /// Packets per second from an address other than the latched one that may be authenticated.
    let unlatchedBudget: Int
    let clock: any MediaClock
    let logger: TransportLogger
    /// The loop's capture ring for recordings (nil when recording is not configured).
    let captureRing: CaptureRing?
    /// The stream this socket's leg belongs to (recordings name it).
    let stream: UInt8
    /// When this socket last logged an error: at most one line per socket per 10 s (docs/architecture.md, "A packet,
    /// step by step": logs on this path are rate-limited). Errors are counted every time.
    private var lastErrorLog: UInt64 = 0
    private var errorsSinceLog: UInt64 = 0

    init(
        leg: MediaLeg, isRTCPPort: Bool, batch: DatagramBatch, early: EarlyPacketStore, unlatchedBudget: Int,
        clock: any MediaClock, logger: TransportLogger, captureRing: CaptureRing? = nil, stream: Int = 0
    ) {
        self.captureRing = captureRing
        self.stream = UInt8(clamping: stream)
        self.leg = leg
        self.isRTCPPort = isRTCPPort
        self.batch = batch
        self.early = early
        self.unlatchedBudget = unlatchedBudget
        self.clock = clock
        self.logger = logger
    }

    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
        let count = batch.receive(from: fd)
        if count < 0 {
            leg.socketErrors &+= 1
            logSocketError(Int32(-count))
            return 1
        }
        if count == 0 { return 0 }
        let now = clock.now()
        var batchCounters = LegCounters()  // this batch's receive counts and drops, added once at the end
        var bytesOut: UInt64 = 0
        var queued = 0

        for index in 0..<count {
            let length = batch.length(index)
            if batch.isTruncated(index) {
                // Longer than the batch's slots (`media.max_datagram_bytes`): no media packet is, so it is
                // dropped before any parsing or crypto.
                batchCounters[.tooLong] &+= 1
                continue
            }
            let source = batch.source(index)
            guard leg.inbound != nil else {
                // No key yet: kept, encrypted, until the answer brings it (nothing is looked at before then).
                let slot = UnsafeRawBufferPointer(rebasing: batch.slot(index)[..<length])
                if let reason = early.keep(slot, leg: leg, source: source, now: now, isRTCPPort: isRTCPPort) {
                    batchCounters[reason] &+= 1
                }
                continue
            }
            forward(
                slot: index, length: length, source: source, now: now, counters: &batchCounters, queued: &queued,
                bytesOut: &bytesOut)
        }
        finish(queued: queued, bytesOut: bytesOut, counters: batchCounters, now: now)
        return count
    }

    /// Relays what arrived on this socket before the leg had its key, oldest first, through the same path as a
    /// received batch (authenticated, then latched, then relayed). On the loop, between batches (the loop's
    /// batch is free then), once the leg has its inbound key and the other leg its outbound key.
    func drainEarly(now: UInt64) {
        guard leg.inbound != nil, leg.earlyCount > 0 else { return }
        var batchCounters = LegCounters()
        var bytesOut: UInt64 = 0
        var queued = 0
        var used = 0
        early.drain(leg, isRTCPPort: isRTCPPort, now: now) { bytes, source in
            if used == batch.capacity {
                finish(queued: queued, bytesOut: bytesOut, counters: batchCounters, now: now)
                (batchCounters, bytesOut, queued, used) = (LegCounters(), 0, 0, 0)
            }
            batch.slot(used).copyMemory(from: bytes)
            forward(
                slot: used, length: bytes.count, source: source, now: now, counters: &batchCounters, queued: &queued,
                bytesOut: &bytesOut)
            used += 1
        }
        finish(queued: queued, bytesOut: bytesOut, counters: batchCounters, now: now)
    }

    /// One datagram of the batch, received on a leg that has its inbound key: the budget for strangers, then
    /// authenticate and decrypt, latch, re-encrypt for the other leg, and queue it in the send list.
    @inline(__always)  // the per-packet path
    private func forward(
        slot index: Int, length: Int, source: UDPAddress, now: UInt64, counters batchCounters: inout LegCounters,
        queued: inout Int, bytesOut: inout UInt64
    ) {
        let slot = batch.slot(index)
        // Not retained: both legs live as long as their session, which outlives its registered ports.
        unowned(unsafe) let other: MediaLeg = leg.other
        let isRTCP =
            isRTCPPort
            || (length >= 2 && PacketKind.classify(UnsafeRawBufferPointer(rebasing: slot[..<length])) == .rtcp)
        // The latch this packet would move: a dedicated RTCP socket has its own, muxed RTCP shares RTP's.
        let latched = isRTCP && leg.rtcpSocket != nil ? leg.latchedRTCP : leg.latchedRTP
        if let latched, latched != source, !admitStranger(now: now) {
            // Flood protection: after latching, a packet from another address costs a full authentication
            // (HMAC or GCM over the whole packet) whether or not it is genuine. A peer that really moved (NAT
            // rebinding) needs one authenticated packet to re-latch, so a small budget per leg and second
            // loses nothing genuine, and a flood on one port cannot take the loop's CPU from every other call.
            batchCounters[.unknownSource] &+= 1
            return
        }
        // Not retained per packet: contexts are replaced only on this queue, never during a batch.
        unowned(unsafe) let inbound: SRTPContext = leg.inbound.unsafelyUnwrapped
        let opened =
            isRTCP ? inbound.unprotectRTCP(slot, length: length) : inbound.unprotectRTP(slot, length: length)
        guard case .ok(let plainLength) = opened else {
            if case .dropped(let verdict) = opened {
                var reason = MediaDropReason(verdict)
                // Before any latch, a failure from an address the SDP did not declare is a stranger.
                if reason == .authFailed, leg.latchedRTP == nil, source != leg.declaredRTP,
                    source != leg.declaredRTCP
                {
                    reason = .unknownSource
                }
                batchCounters[reason] &+= 1
            }
            return
        }
        // The headers are in the clear, and libsrtp2 has checked that RTP's 12 fixed octets or RTCP's first 8
        // are there, so the else branch is never taken; it keeps the reads bounded by the packet.
        let plain = UnsafeRawBufferPointer(rebasing: slot[..<plainLength])
        let rtp = isRTCP ? nil : RTPFixedHeader(plain)
        guard let ssrc = isRTCP ? RTCPHeader.leadingSSRC(plain) : rtp?.ssrc else {
            batchCounters[.malformed] &+= 1
            return
        }
        guard leg.admitAuthenticated(ssrc: ssrc) else {
            batchCounters[.ssrcLimit] &+= 1
            return
        }
        // docs/architecture.md, rule 3: only an authenticated packet may move the latch.
        if isRTCP && leg.rtcpSocket != nil {
            if leg.latchedRTCP != source {
                if leg.latchedRTCP != nil { batchCounters.relatched &+= 1 }
                leg.latchedRTCP = source
            }
        } else if leg.latchedRTP != source {
            if leg.latchedRTP != nil { batchCounters.relatched &+= 1 }
            leg.latchedRTP = source
        }
        batchCounters.packetsIn &+= 1
        batchCounters.bytesIn &+= UInt64(length)

        if let rtp {
            record(rtp, now: now)
            if leg.captureHandle != 0 { capture(plain, rtp: rtp, now: now) }
        }

        guard other.outbound != nil, let destination = other.destination(rtcp: isRTCP) else {
            batchCounters[.noPeerYet] &+= 1
            return
        }
        unowned(unsafe) let outbound: SRTPContext = other.outbound.unsafelyUnwrapped
        let sealed =
            isRTCP
            ? outbound.protectRTCP(slot, length: plainLength) : outbound.protectRTP(slot, length: plainLength)
        guard case .ok(let sealedLength) = sealed else {
            batchCounters[.malformed] &+= 1
            return
        }
        batch.queue(entry: queued, slot: index, length: sealedLength, to: destination)
        queued += 1
        bytesOut &+= UInt64(sealedLength)
    }

    /// Whether one more packet from an address other than the latched one may be authenticated in the current
    /// one-second window of this leg (`media.unlatched_auth_budget`).
    @inline(__always)
    private func admitStranger(now: UInt64) -> Bool {
        if now &- leg.unlatchedWindowStart >= 1_000_000_000 {
            leg.unlatchedWindowStart = now
            leg.unlatchedAuthenticated = 0
        }
        guard leg.unlatchedAuthenticated < unlatchedBudget else { return false }
        leg.unlatchedAuthenticated += 1
        return true
    }

    /// Sends what a batch queued and adds its counters to the legs.
    @inline(__always)
    private func finish(queued: Int, bytesOut: UInt64, counters batchCounters: LegCounters, now: UInt64) {
        var batchCounters = batchCounters
        unowned(unsafe) let other: MediaLeg = leg.other
        if batchCounters.packetsIn > 0 { leg.lastAuthenticated = now }
        if queued > 0 {
            // One sendmmsg per batch, so one socket: a dedicated RTCP socket's packets leave by the other
            // leg's RTCP socket (its RTP socket when that leg muxes); everything arriving on an RTP socket
            // leaves by the other leg's RTP socket, muxed RTCP included, to that leg's RTCP address.
            let out = isRTCPPort ? (other.rtcpSocket ?? other.rtpSocket) : other.rtpSocket
            let sent = max(batch.send(count: queued, from: out.fd), 0)
            other.counters.packetsOut &+= UInt64(sent)
            other.counters.bytesOut &+= sent == queued ? bytesOut : 0
            batchCounters[.sendFailed] &+= UInt64(queued - sent)
        }
        leg.counters.add(batchCounters)
    }

    /// A receive error is never fatal to the loop; it is counted, and logged at a limited rate.
    private func logSocketError(_ code: Int32) {
        errorsSinceLog &+= 1
        let now = clock.now()
        guard lastErrorLog == 0 || now &- lastErrorLog >= 10_000_000_000 else { return }
        lastErrorLog = now
        let side = leg.side == .a ? "A" : "B"
        logger.log(
            .warning,
            "media socket \(leg.rtpSocket.localAddress) (leg \(side)) failed to receive: "
                + "\(String(cString: strerror(code))) (\(errorsSinceLog) errors since the last report)")
        errorsSinceLog = 0
    }

    /// Copies a decrypted RTP packet's payload into the loop's capture ring for its recording: after
    /// authentication (only what the peer really sent is recorded), never RTCP, never an excluded payload type
    /// (telephone-events). A full ring loses the recorded copy (the ring counts it), never the relayed packet.
    @inline(__always)
    private func capture(_ plain: UnsafeRawBufferPointer, rtp: RTPFixedHeader, now: UInt64) {
        let payloadType = rtp.payloadType
        let word = payloadType < 64 ? leg.captureExcluded.0 : leg.captureExcluded.1
        guard word & (1 << UInt64(payloadType & 63)) == 0, let ring = captureRing,
            case .ok(let header) = RTPHeader.parse(plain)
        else { return }
        _ = ring.push(
            handle: leg.captureHandle, leg: leg.recordedLeg, stream: stream, payloadType: payloadType,
            sequence: rtp.sequenceNumber, timestamp: rtp.timestamp, ssrc: rtp.ssrc, arrival: now,
            payload: header.payload)
    }

    /// RFC 3550 reception statistics from a decrypted RTP header.
    @inline(__always)  // a few loads per packet; keep them in the loop
    private func record(_ header: RTPFixedHeader, now: UInt64) {
        let sequence = header.sequenceNumber
        let timestamp = header.timestamp
        let ssrc = header.ssrc
        if leg.statistics?.ssrc != ssrc {
            leg.statistics = ReceptionStatistics(ssrc: ssrc, firstSequence: sequence, clockRate: leg.clockRate)
        }
        leg.statistics!.record(sequence: sequence)
        let arrival = JitterEstimator.timestampUnits(nanoseconds: now, clockRate: leg.clockRate)
        leg.statistics!.recordArrival(arrival: arrival, timestamp: timestamp)
    }
}
