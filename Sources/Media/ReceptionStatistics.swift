internal import RTPWire

/// What one leg has received of one RTP stream, kept the way RFC 3550 Appendix A says: the sequence
/// tracking of A.1 (probation, wrap-around, dropouts), the loss figures of A.3 and the interarrival
/// jitter of A.8 (RTPWire's ``JitterEstimator``).
///
/// A value type updated in place, once per authenticated packet, on the session's loop: no allocation,
/// no locks. Readers get a copy in a snapshot.
public struct ReceptionStatistics: Sendable, Hashable {
    /// RFC 3550 A.1: a jump of at most this many packets ahead is a gap, not a restart.
    static let maxDropout: UInt32 = 3000
    /// RFC 3550 A.1: a packet at most this far behind is reordered, not a restart.
    static let maxMisorder: UInt32 = 100
    /// RFC 3550 A.1: packets in sequence needed before a new source counts as valid.
    static let minSequential: UInt32 = 2
    static let sequenceModulus: UInt32 = 1 << 16

    /// The SSRC being tracked.
    public private(set) var ssrc: UInt32
    /// The RTP clock rate, for jitter in seconds.
    public let clockRate: UInt32
    /// The highest sequence number seen.
    public private(set) var highestSequence: UInt16
    /// Sequence-number wrap-arounds counted, shifted left 16 (RFC 3550 A.1 `cycles`).
    public private(set) var cycles: UInt32 = 0
    /// Packets received and accepted as in sequence, duplicates and late packets included (A.1).
    public private(set) var received: UInt32 = 0
    private var baseSequence: UInt32
    private var badSequence: UInt32
    private var probation: UInt32
    private var jitterEstimator = JitterEstimator()

    /// Starts tracking a source from its first packet (RFC 3550 A.1: the source is on probation).
    public init(ssrc: UInt32, firstSequence: UInt16, clockRate: UInt32) {
        self.ssrc = ssrc
        self.clockRate = clockRate
        self.highestSequence = firstSequence &- 1
        self.baseSequence = UInt32(firstSequence)
        self.badSequence = Self.sequenceModulus + 1
        self.probation = Self.minSequential
    }

    private mutating func restart(at sequence: UInt16) {
        baseSequence = UInt32(sequence)
        highestSequence = sequence
        badSequence = Self.sequenceModulus + 1
        cycles = 0
        received = 0
        jitterEstimator.restartTransit()
    }

    /// Counts one packet (RFC 3550 A.1 `update_seq`). Returns false while the source is on probation or
    /// when the packet looks like a restart not yet confirmed; such packets are not counted.
    @discardableResult
    public mutating func record(sequence: UInt16) -> Bool {
        let delta = UInt32(sequence &- highestSequence)
        if probation > 0 {
            if sequence == highestSequence &+ 1 {
                probation -= 1
                highestSequence = sequence
                if probation == 0 {
                    restart(at: sequence)
                    received += 1
                    return true
                }
            } else {
                probation = Self.minSequential - 1
                highestSequence = sequence
            }
            return false
        }
        if delta < Self.maxDropout {
            if sequence < highestSequence { cycles &+= Self.sequenceModulus }
            highestSequence = sequence
        } else if delta <= Self.sequenceModulus - Self.maxMisorder {
            // A very large jump: believe it only when the next packet follows it (the peer restarted).
            if UInt32(sequence) == badSequence {
                restart(at: sequence)
            } else {
                badSequence = (UInt32(sequence) + 1) & (Self.sequenceModulus - 1)
                return false
            }
        }
        // Otherwise a duplicate or a reordered packet: counted, the highest stays.
        received &+= 1
        return true
    }

    /// Updates the interarrival jitter with one packet (RFC 3550 A.8): `arrival` is the receive time in
    /// the stream's timestamp units, `timestamp` the packet's RTP timestamp.
    public mutating func recordArrival(arrival: UInt32, timestamp: UInt32) {
        jitterEstimator.record(arrival: arrival, timestamp: timestamp)
    }

    /// The extended highest sequence number (RFC 3550 A.3).
    public var extendedHighestSequence: UInt32 { cycles &+ UInt32(highestSequence) }

    /// Packets expected from the first to the highest sequence number (RFC 3550 A.3).
    public var expected: UInt32 {
        guard probation == 0 else { return 0 }
        return extendedHighestSequence &- baseSequence &+ 1
    }

    /// Cumulative packets lost (RFC 3550 A.3): negative when duplicates outnumber losses.
    public var lost: Int64 { Int64(expected) - Int64(received) }

    /// Interarrival jitter in whole timestamp units (RFC 3550 §6.4.1), as an RTCP report block carries it.
    public var jitter: UInt32 { UInt32(jitterEstimator.jitter) }

    /// Interarrival jitter in seconds.
    public var jitterSeconds: Double { clockRate == 0 ? 0 : jitterEstimator.jitter / Double(clockRate) }
}
