/// Arithmetic on 16-bit RTP sequence numbers that wrap: ordering (RFC 3550 Appendix A.1) and the SRTP packet
/// index estimate (RFC 3711 §3.3.1). Pure functions, no state.
public enum SequenceNumber {
    /// Half the sequence space: the largest distance that still has a direction.
    public static let halfRange: UInt16 = 0x8000

    /// Whether `sequence` comes after `reference` in serial-number order, allowing for wrap-around.
    ///
    /// True when going forward from `reference` reaches `sequence` in 1 to 32767 steps (RFC 1982 §3.2, as used
    /// by RFC 3550 Appendix A.1): `isNewer(0, than: 65535)` is true, `isNewer(65535, than: 0)` false. Equal
    /// numbers, and numbers exactly 32768 apart, are newer in neither direction.
    @inlinable
    public static func isNewer(_ sequence: UInt16, than reference: UInt16) -> Bool {
        let forward = sequence &- reference
        return forward != 0 && forward < halfRange
    }

    /// The signed shortest distance from `reference` to `sequence`, in -32768...32767 (positive when `sequence`
    /// is newer).
    @inlinable
    public static func distance(from reference: UInt16, to sequence: UInt16) -> Int {
        Int(Int16(bitPattern: sequence &- reference))
    }

    /// The packet index RFC 3711 §3.3.1 estimates for a received sequence number, and its distance from the
    /// highest index seen.
    public struct IndexEstimate: Sendable, Hashable {
        /// The guessed rollover counter `v`: ROC - 1, ROC or ROC + 1.
        public var roc: UInt32
        /// The 48-bit packet index `i = 2^16 * v + SEQ`.
        public var index: UInt64
        /// `index` minus the highest index seen so far: positive for a newer packet, negative for a late one.
        public var delta: Int

        /// Creates an estimate.
        @inlinable
        public init(roc: UInt32, index: UInt64, delta: Int) {
            self.roc = roc
            self.index = index
            self.delta = delta
        }
    }

    /// Estimates the packet index of a received sequence number from the current rollover counter and the
    /// highest sequence number seen, as RFC 3711 §3.3.1 does:
    ///
    /// ```
    /// if s_l < 32768:  v = ROC - 1 if SEQ - s_l > 32768, else ROC
    /// else:            v = ROC + 1 if s_l - 32768 > SEQ, else ROC
    /// i = 2^16 * v + SEQ
    /// ```
    ///
    /// With `roc == 0` there is no earlier rollover, so the ROC - 1 guess becomes ROC and the packet counts as
    /// a jump forward (as pion/srtp does). ROC + 1 wraps at 2^32, where the index space is spent and the keys must
    /// have been changed long before (RFC 3711 §9.2).
    @inlinable
    public static func estimateIndex(roc: UInt32, highest: UInt16, received: UInt16) -> IndexEstimate {
        let sequence = Int(received)
        let highestSequence = Int(highest)
        let guess: UInt32
        let rocStep: Int
        if highestSequence < Int(halfRange) {
            if sequence - highestSequence > Int(halfRange), roc > 0 {
                guess = roc - 1
                rocStep = -1
            } else {
                guess = roc
                rocStep = 0
            }
        } else {
            if highestSequence - Int(halfRange) > sequence {
                guess = roc &+ 1
                rocStep = 1
            } else {
                guess = roc
                rocStep = 0
            }
        }
        return IndexEstimate(
            roc: guess,
            index: UInt64(guess) << 16 | UInt64(received),
            delta: rocStep * 0x1_0000 + sequence - highestSequence
        )
    }
}
