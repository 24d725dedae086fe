/// A copy of one leg's state, taken on its loop and handed to readers (admin, logs).
public struct MediaLegSnapshot: Sendable, Hashable {
    public var side: LegSide
    public var localRTPPort: UInt16
    public var declaredPeer: String?
    public var latchedPeer: String?
    public var suite: String?
    public var counters: LegCounters
    public var statistics: ReceptionStatistics?
}

/// A copy of one session's state.
public struct MediaSessionSnapshot: Sendable, Hashable {
    public var id: UInt64
    public var callID: String
    /// The media loop the session lives on.
    public var loop: Int
    public var ageNanoseconds: UInt64
    public var endReason: MediaEndReason?
    /// Per stream: legs A and B.
    public var streams: [[MediaLegSnapshot]]
}
