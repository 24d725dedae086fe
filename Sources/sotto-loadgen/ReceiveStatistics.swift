import RTPWire

/// What one endpoint saw of the stream sent to it: RFC 3550 sequence accounting, interarrival
/// jitter (A.8) and the checks the generator can make because it also sent the stream.
struct ReceiveStatistics: Sendable, Equatable {
    /// Packets that authenticated and passed every check, each index counted once.
    var received = 0
    /// Packets that arrived after a later one (a lower index than the highest seen).
    var reordered = 0
    /// Packets seen twice: libsrtp2's replay check refuses the second copy.
    var duplicates = 0
    /// Packets that did not authenticate with the key the relay gave this side.
    var authFailures = 0
    /// Authenticated packets with an SSRC other than the one the far end sends with.
    var wrongSSRC = 0
    /// Authenticated packets whose payload differs from what was sent with that index.
    var corrupt = 0
    /// Packets dropped for any other reason (not RTP, too short, a libsrtp2 error).
    var otherDrops = 0
    /// RFC 3550 A.8 interarrival jitter, in RTP timestamp units.
    var jitter: Double { jitterEstimator.jitter }
    /// The largest jitter seen during the stream, in RTP timestamp units.
    private(set) var maxJitter = 0.0
    /// The first valid packet's arrival, on the pump's clock (ns), or 0.
    var firstArrival: UInt64 = 0

    private var started = false
    private var roc: UInt32 = 0
    private var highest: UInt16 = 0
    private var jitterEstimator = JitterEstimator()

    /// Accounts one authenticated, checked packet with sequence number `sequence`. Returns its
    /// 48-bit index (RFC 3711 §3.3.1), from which the sender's send time and payload are found.
    mutating func indexFor(sequence: UInt16) -> UInt64 {
        guard started else {
            return UInt64(sequence)
        }
        return SequenceNumber.estimateIndex(roc: roc, highest: highest, received: sequence).index
    }

    /// Records a valid packet with index `index`, RTP timestamp `timestamp` arriving at `arrival` ns.
    mutating func record(index: UInt64, timestamp: UInt32, arrival: UInt64, clockRate: Int) {
        received += 1
        if !started {
            started = true
            roc = UInt32(truncatingIfNeeded: index >> 16)
            highest = UInt16(truncatingIfNeeded: index)
            firstArrival = arrival
        } else {
            let current = UInt64(roc) << 16 | UInt64(highest)
            if index > current {
                roc = UInt32(truncatingIfNeeded: index >> 16)
                highest = UInt16(truncatingIfNeeded: index)
            } else if index < current {
                reordered += 1
            }
        }
        jitterEstimator.record(
            arrival: JitterEstimator.timestampUnits(nanoseconds: arrival, clockRate: UInt32(clockRate)),
            timestamp: timestamp)
        maxJitter = max(maxJitter, jitter)
    }
}
