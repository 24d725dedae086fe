internal import SRTP

/// Why the relay dropped a media packet. Each has its own counter per leg (docs/architecture.md, "A packet, step by
/// step").
public enum MediaDropReason: Int, Sendable, CaseIterable, Hashable {
    /// The SRTP/SRTCP tag did not verify (tampering, a wrong key, or plain RTP on an SRTP leg).
    case authFailed
    /// A replayed or too-old packet index.
    case replay
    /// Shorter than a header plus the SRTP trailer.
    case tooShort
    /// Not RTP/RTCP (bad version, STUN/DTLS bytes), or a header overrunning the packet.
    case malformed
    /// Before the leg latched, from an address that is not the declared one, and not authenticating; or, after
    /// it latched, from another address beyond the leg's budget for such packets (dropped without crypto).
    case unknownSource
    /// The other leg has no key or no address yet; or it arrived before this leg's key and was not relayed
    /// (its key came too late, or the session ended first).
    case noPeerYet
    /// The kernel refused to send it.
    case sendFailed
    /// It authenticated, but under an SSRC beyond the leg's limit for this key (see `MediaLeg`).
    case ssrcLimit
    /// It arrived before the leg's key and the leg's early buffer was full (``EarlyPacketStore``).
    case earlyBufferFull
    /// Longer than the longest datagram accepted (`media.max_datagram_bytes`): dropped before any work.
    case tooLong

    init(_ verdict: SRTPVerdict) {
        switch verdict {
        case .authFailed: self = .authFailed
        case .replay: self = .replay
        case .tooShort: self = .tooShort
        case .tooLong, .malformed, .noTailroom, .unknownMKI: self = .malformed
        case .keyExhausted, .cryptoFailure: self = .authFailed
        }
    }
}

/// A leg's packet counters. Updated on the session's loop once per batch; read through snapshots.
public struct LegCounters: Sendable, Hashable {
    /// Authenticated packets received from the peer.
    public var packetsIn: UInt64 = 0
    /// Their bytes, as received (SRTP, trailer included).
    public var bytesIn: UInt64 = 0
    /// Packets sent to the peer.
    public var packetsOut: UInt64 = 0
    /// Their bytes, as sent.
    public var bytesOut: UInt64 = 0
    /// Times an authenticated packet moved the latch to a new source address.
    public var relatched: UInt64 = 0
    /// Dropped packets per reason: stored fields rather than an array, so that copying a snapshot
    /// never makes the loop's next update copy storage (no allocation on the media path).
    public var authFailed: UInt64 = 0
    public var replay: UInt64 = 0
    public var tooShort: UInt64 = 0
    public var malformed: UInt64 = 0
    public var unknownSource: UInt64 = 0
    public var noPeerYet: UInt64 = 0
    public var sendFailed: UInt64 = 0
    public var ssrcLimit: UInt64 = 0
    public var earlyBufferFull: UInt64 = 0
    public var tooLong: UInt64 = 0

    /// Drops for one reason.
    public subscript(reason: MediaDropReason) -> UInt64 {
        get {
            switch reason {
            case .authFailed: authFailed
            case .replay: replay
            case .tooShort: tooShort
            case .malformed: malformed
            case .unknownSource: unknownSource
            case .noPeerYet: noPeerYet
            case .sendFailed: sendFailed
            case .ssrcLimit: ssrcLimit
            case .earlyBufferFull: earlyBufferFull
            case .tooLong: tooLong
            }
        }
        set {
            switch reason {
            case .authFailed: authFailed = newValue
            case .replay: replay = newValue
            case .tooShort: tooShort = newValue
            case .malformed: malformed = newValue
            case .unknownSource: unknownSource = newValue
            case .noPeerYet: noPeerYet = newValue
            case .sendFailed: sendFailed = newValue
            case .ssrcLimit: ssrcLimit = newValue
            case .earlyBufferFull: earlyBufferFull = newValue
            case .tooLong: tooLong = newValue
            }
        }
    }

    /// All drops.
    public var totalDrops: UInt64 { MediaDropReason.allCases.reduce(0) { $0 + self[$1] } }

    /// Adds another set of counters field by field (no allocation: this runs once per batch).
    mutating func add(_ other: LegCounters) {
        packetsIn &+= other.packetsIn
        bytesIn &+= other.bytesIn
        packetsOut &+= other.packetsOut
        bytesOut &+= other.bytesOut
        relatched &+= other.relatched
        authFailed &+= other.authFailed
        replay &+= other.replay
        tooShort &+= other.tooShort
        malformed &+= other.malformed
        unknownSource &+= other.unknownSource
        noPeerYet &+= other.noPeerYet
        sendFailed &+= other.sendFailed
        ssrcLimit &+= other.ssrcLimit
        earlyBufferFull &+= other.earlyBufferFull
        tooLong &+= other.tooLong
    }

    /// A zeroed set of counters.
    public init() {}
}
