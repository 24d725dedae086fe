import Glibc
internal import Transport

/// Packets that arrived on a leg before Sotto had the leg's inbound key: the callee often sends its first
/// packets before its answer (which carries its key) reaches Sotto. They are kept as they arrived, still
/// encrypted and unauthenticated, and go through the ordinary forward path once the key is there
/// (``MediaPort/drainEarly(now:)``): nothing is latched or relayed before it authenticates.
///
/// One store per media loop, in storage allocated once: a ring of `capacity` slots of `slotSize` bytes, each
/// with its leg, source and arrival time. Keeping a packet copies it into the next slot of the ring; when that
/// slot still holds another leg's packet, that packet is dropped (counted on its leg). Per leg at most
/// `perLeg` packets are kept; beyond it a packet is dropped as ``MediaDropReason/earlyBufferFull``. A kept
/// packet older than `maxAge` when its key arrives is dropped as ``MediaDropReason/noPeerYet`` (it would
/// play late, and a key that takes that long is not coming with the answer).
///
/// Why one ring per loop rather than a buffer per leg: a buffer per leg would hold `perLeg` full-size slots for
/// every leg of every call for the call's whole life (about 12 KiB per leg at the defaults), to be used for the
/// first 100 ms. The ring holds 512 packets per loop (64 legs' worth at the default of 8; at least `perLeg`),
/// far more than call set-up at any plausible rate keeps waiting for an answer within `maxAge`: at 50 packets
/// a second and 100 ms, each leg waiting for its answer holds 5.
///
/// Confined to its loop's queue. Nothing here allocates after `init`.
final class EarlyPacketStore: @unchecked Sendable {
    /// One kept packet.
    struct Entry {
        /// The leg it arrived on; nil for a free slot. Cleared for every leg of a session before the session
        /// is freed (``discard(_:)``), so it never outlives its leg.
        unowned(unsafe) var leg: MediaLeg?
        var length = 0
        var source = UDPAddress(storage: sockaddr_storage(), length: 0)
        var arrival: UInt64 = 0
        /// True when it arrived on the leg's dedicated RTCP socket.
        var isRTCPPort = false
    }

    /// Slots in the ring.
    let capacity: Int
    /// Bytes per slot: the longest datagram the loop accepts.
    let slotSize: Int
    /// Packets kept per leg at most.
    let perLeg: Int
    /// The oldest a kept packet may be when its key arrives.
    let maxAge: UInt64
    private let memory: UnsafeMutableRawBufferPointer
    private let entries: UnsafeMutablePointer<Entry>
    /// The slot the next packet goes into (the oldest slot of the ring).
    private var next = 0

    /// A store for `perLeg` packets per leg, of up to `slotSize` bytes, at most `maxAge` nanoseconds old.
    init(perLeg: Int, slotSize: Int, maxAge: UInt64, slots: Int = 512) {
        self.perLeg = perLeg
        self.slotSize = slotSize
        self.maxAge = maxAge
        capacity = max(1, perLeg, perLeg == 0 ? 1 : slots)
        memory = .allocate(byteCount: perLeg == 0 ? 1 : capacity * slotSize, alignment: 16)
        entries = .allocate(capacity: capacity)
        entries.initialize(repeating: Entry(), count: capacity)
    }

    deinit {
        entries.deinitialize(count: capacity)
        entries.deallocate()
        memory.deallocate()
    }

    /// Keeps a copy of a packet that arrived on `leg` before its inbound key. Returns the reason it was dropped
    /// instead, or nil when it was kept.
    @inline(__always)  // per packet only while a leg has no key
    func keep(_ bytes: UnsafeRawBufferPointer, leg: MediaLeg, source: UDPAddress, now: UInt64, isRTCPPort: Bool)
        -> MediaDropReason?
    {
        guard perLeg > 0, bytes.count <= slotSize else { return .noPeerYet }
        if leg.earlyCount >= perLeg {
            // Its oldest packet has expired: forget what has, and keep this one.
            guard now &- leg.earlyOldest > maxAge else { return .earlyBufferFull }
            expire(leg, now: now)
        }
        let index = next
        next = next + 1 == capacity ? 0 : next + 1
        if let evicted = entries[index].leg {
            // The ring went round: another leg's (or this leg's) oldest packet gives way.
            evicted.earlyCount -= 1
            let expired = now &- entries[index].arrival > maxAge
            evicted.counters[expired ? .noPeerYet : .earlyBufferFull] &+= 1
        }
        UnsafeMutableRawBufferPointer(start: memory.baseAddress! + index * slotSize, count: slotSize)
            .copyMemory(from: bytes)
        entries[index] = Entry(leg: leg, length: bytes.count, source: source, arrival: now, isRTCPPort: isRTCPPort)
        if leg.earlyCount == 0 { leg.earlyOldest = now }
        leg.earlyCount += 1
        return nil
    }

    /// Hands `leg`'s kept packets that arrived on the given socket kind to `body`, oldest first, and forgets
    /// them; packets older than `maxAge` are dropped (`noPeerYet`) instead.
    func drain(
        _ leg: MediaLeg, isRTCPPort: Bool, now: UInt64,
        _ body: (_ bytes: UnsafeRawBufferPointer, _ source: UDPAddress) -> Void
    ) {
        guard leg.earlyCount > 0 else { return }
        for offset in 0..<capacity {
            let index = (next + offset) % capacity
            guard entries[index].leg === leg, entries[index].isRTCPPort == isRTCPPort else { continue }
            let entry = entries[index]
            entries[index].leg = nil
            leg.earlyCount -= 1
            if now &- entry.arrival > maxAge {
                leg.counters[.noPeerYet] &+= 1
                continue
            }
            let bytes = UnsafeRawBufferPointer(start: memory.baseAddress! + index * slotSize, count: entry.length)
            body(bytes, entry.source)
        }
    }

    /// Forgets every packet kept for `leg`, counting each as `noPeerYet`: before its session is freed.
    func discard(_ leg: MediaLeg) {
        guard leg.earlyCount > 0 else { return }
        for index in 0..<capacity where entries[index].leg === leg {
            entries[index].leg = nil
            leg.counters[.noPeerYet] &+= 1
        }
        leg.earlyCount = 0
    }

    /// Forgets `leg`'s packets older than `maxAge` (counted `noPeerYet`) and notes the arrival of its oldest
    /// remaining one.
    private func expire(_ leg: MediaLeg, now: UInt64) {
        var oldest = now
        for index in 0..<capacity where entries[index].leg === leg {
            if now &- entries[index].arrival > maxAge {
                entries[index].leg = nil
                leg.earlyCount -= 1
                leg.counters[.noPeerYet] &+= 1
            } else {
                oldest = min(oldest, entries[index].arrival)
            }
        }
        leg.earlyOldest = oldest
    }
}
