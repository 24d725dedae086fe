/// A copy of one leg's state, taken on its loop and handed to readers (admin, logs).
public struct MediaLegSnapshot: Sendable, Hashable {
    public var side: LegSide
    public var localRTPPort: UInt16
    public var declaredPeer: String?
    public var latchedPeer: String?
    public var suite: String?
    public var counters: LegCounters
    public var statistics: ReceptionStatistics?

    /// A copy with these values (the engine makes them; fakes of ``MediaControl`` too).
    public init(
        side: LegSide, localRTPPort: UInt16, declaredPeer: String?, latchedPeer: String?, suite: String?,
        counters: LegCounters, statistics: ReceptionStatistics?
    ) {
        self.side = side
        self.localRTPPort = localRTPPort
        self.declaredPeer = declaredPeer
        self.latchedPeer = latchedPeer
        self.suite = suite
        self.counters = counters
        self.statistics = statistics
    }
}

/// A copy of one session's state.
public struct MediaSessionSnapshot: Sendable, Hashable {
    public var id: UInt64
    public var callID: String
    /// The media loop the session lives on.
    public var loop: Int
    public var ageNanoseconds: UInt64
    /// Why it ended; nil while it is live.
    public var end: MediaSessionEnd?
    /// Per stream: legs A and B.
    public var streams: [[MediaLegSnapshot]]

    /// A copy with these values (the engine makes them; fakes of ``MediaControl`` too).
    public init(
        id: UInt64, callID: String, loop: Int, ageNanoseconds: UInt64, end: MediaSessionEnd?,
        streams: [[MediaLegSnapshot]]
    ) {
        self.id = id
        self.callID = callID
        self.loop = loop
        self.ageNanoseconds = ageNanoseconds
        self.end = end
        self.streams = streams
    }
}
