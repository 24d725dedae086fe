/// The results of the admin commands: plain Codable values, the same for the server, `sottoctl` and scripts.

/// One leg of one session.
public struct AdminLeg: Codable, Sendable, Equatable {
    /// `softphone` or `pbx`.
    public var side: String
    /// Sotto's local RTP address on this leg.
    public var local: String
    /// The peer's address: latched when a packet authenticated, else declared in its SDP.
    public var peer: String?
    /// The SRTP suite toward this peer.
    public var suite: String?
    public var packetsIn: UInt64
    public var packetsOut: UInt64
    public var bytesIn: UInt64
    public var bytesOut: UInt64
    /// Drops by reason (only reasons with a count).
    public var drops: [String: UInt64]
    /// Fraction of expected packets not received (RFC 3550 A.3), 0...1; nil before any packet.
    public var loss: Double?
    /// Interarrival jitter (RFC 3550 A.8) in milliseconds; nil before any packet.
    public var jitterMs: Double?
    /// Times an authenticated packet from a new address moved this leg's latch (nil from an older relay).
    public var relatches: UInt64?

    public init(
        side: String, local: String, peer: String?, suite: String?, packetsIn: UInt64, packetsOut: UInt64,
        bytesIn: UInt64, bytesOut: UInt64, drops: [String: UInt64], loss: Double?, jitterMs: Double?,
        relatches: UInt64? = nil
    ) {
        self.side = side
        self.local = local
        self.peer = peer
        self.suite = suite
        self.packetsIn = packetsIn
        self.packetsOut = packetsOut
        self.bytesIn = bytesIn
        self.bytesOut = bytesOut
        self.drops = drops
        self.loss = loss
        self.jitterMs = jitterMs
        self.relatches = relatches
    }
}

/// One live session (a call's traversal through Sotto).
public struct AdminSession: Codable, Sendable, Equatable {
    public var id: UInt64
    public var callID: String
    public var from: String
    public var to: String
    public var ageSeconds: Double
    /// `setup` or `confirmed`.
    public var state: String
    /// Per stream, legs A (softphone) and B (PBX); the first stream is the audio in practice.
    public var legs: [AdminLeg]
    /// Packets per second over the last snapshot interval (filled by `watch`; 0 otherwise).
    public var packetsPerSecond: Double
    /// `recording` or `paused` while the call is recorded; nil when it is not (or from an older relay).
    public var recording: String?

    public init(
        id: UInt64, callID: String, from: String, to: String, ageSeconds: Double, state: String, legs: [AdminLeg],
        packetsPerSecond: Double = 0, recording: String? = nil
    ) {
        self.id = id
        self.callID = callID
        self.from = from
        self.to = to
        self.ageSeconds = ageSeconds
        self.state = state
        self.legs = legs
        self.packetsPerSecond = packetsPerSecond
        self.recording = recording
    }
}

/// One softphone registration seen passing through Sotto.
public struct AdminRegistration: Codable, Sendable, Equatable {
    /// The address of record (To of the REGISTER).
    public var aor: String
    public var contact: String
    /// The flow (connection) number.
    public var flow: UInt64
    /// The connection's source address.
    public var source: String
    /// Seconds until the binding expires, as the registrar's 200 said.
    public var expiresInSeconds: Int

    public init(aor: String, contact: String, flow: UInt64, source: String, expiresInSeconds: Int) {
        self.aor = aor
        self.contact = contact
        self.flow = flow
        self.source = source
        self.expiresInSeconds = expiresInSeconds
    }
}

/// The relay's totals.
public struct AdminStats: Codable, Sendable, Equatable {
    public var uptimeSeconds: Double
    public var calls: Int
    public var sessions: Int
    public var callsStarted: Int
    public var callsEnded: Int
    public var srtpRefusals: Int
    /// Packets and bytes relayed (counted out) since the relay started, ended sessions included: they never fall.
    public var packetsRelayed: UInt64
    public var bytesRelayed: UInt64
    /// Drops by reason since the relay started, ended sessions included.
    public var drops: [String: UInt64]
    public var tlsConnectionsOpen: Int
    public var tlsConnectionsAccepted: Int
    public var tlsHandshakeFailures: Int
    public var portsInUse: Int
    public var portsFree: Int
    /// Sessions per media loop.
    public var loopSessions: [Int]
    public var pbxConnected: Bool
    /// Requests refused by a limit, by limit name, since start.
    public var limitRefusals: [String: Int] = [:]
    /// Media re-latches (a peer's authenticated packets from a new address) since the relay started; nil from an
    /// older relay.
    public var relatches: UInt64?
    /// SIP transactions held now (server and client); nil from an older relay.
    public var transactions: Int?
    /// Timers pending on the signalling loop now (transaction timers and ringing limits); nil from an older relay.
    public var timers: Int?
    /// Each media loop's wakeups (its mode and packets per wakeup), in loop order; nil from an older relay.
    public var loops: [AdminLoop]?
    /// The recording vault's counters; nil when recording is off (or from an older relay).
    public var recording: AdminRecordingStats?

    public init(
        uptimeSeconds: Double, calls: Int, sessions: Int, callsStarted: Int, callsEnded: Int, srtpRefusals: Int,
        packetsRelayed: UInt64, bytesRelayed: UInt64, drops: [String: UInt64], tlsConnectionsOpen: Int,
        tlsConnectionsAccepted: Int, tlsHandshakeFailures: Int, portsInUse: Int, portsFree: Int,
        loopSessions: [Int], pbxConnected: Bool, relatches: UInt64? = nil, transactions: Int? = nil,
        timers: Int? = nil
    ) {
        self.uptimeSeconds = uptimeSeconds
        self.calls = calls
        self.sessions = sessions
        self.callsStarted = callsStarted
        self.callsEnded = callsEnded
        self.srtpRefusals = srtpRefusals
        self.packetsRelayed = packetsRelayed
        self.bytesRelayed = bytesRelayed
        self.drops = drops
        self.tlsConnectionsOpen = tlsConnectionsOpen
        self.tlsConnectionsAccepted = tlsConnectionsAccepted
        self.tlsHandshakeFailures = tlsHandshakeFailures
        self.portsInUse = portsInUse
        self.portsFree = portsFree
        self.loopSessions = loopSessions
        self.pbxConnected = pbxConnected
        self.relatches = relatches
        self.transactions = transactions
        self.timers = timers
    }
}

/// One media loop's wakeups since start: whether it polls now, and how many packets its wakeups carried.
public struct AdminLoop: Codable, Sendable, Equatable {
    /// True while the loop polls its sockets on a timer tick (under load); false while it wakes per readiness
    /// event.
    public var polling: Bool
    /// Wakeups served (readiness events and polling ticks), and of those the ticks.
    public var wakeups: UInt64
    public var ticks: UInt64
    /// Datagrams served by those wakeups.
    public var packets: UInt64
    /// Times the loop started polling.
    public var pollingEntries: UInt64
    /// Wakeups by packets served: `buckets[i]` counts wakeups that carried at most `bucketBounds[i]` packets (and
    /// more than the bound before); the last count, one past the bounds, those above the last bound.
    public var bucketBounds: [Int]
    public var buckets: [UInt64]

    public init(
        polling: Bool, wakeups: UInt64, ticks: UInt64, packets: UInt64, pollingEntries: UInt64, bucketBounds: [Int],
        buckets: [UInt64]
    ) {
        self.polling = polling
        self.wakeups = wakeups
        self.ticks = ticks
        self.packets = packets
        self.pollingEntries = pollingEntries
        self.bucketBounds = bucketBounds
        self.buckets = buckets
    }
}

/// One frame of `watch`.
public struct AdminWatchFrame: Codable, Sendable, Equatable {
    public var stats: AdminStats
    public var sessions: [AdminSession]
    /// What happened since the previous frame that an operator should see (nil or empty: nothing).
    public var events: [AdminWatchEvent]?

    public init(stats: AdminStats, sessions: [AdminSession], events: [AdminWatchEvent]? = nil) {
        self.stats = stats
        self.sessions = sessions
        self.events = events
    }
}

/// An event in a `watch` frame.
public struct AdminWatchEvent: Codable, Sendable, Equatable {
    /// `relatch`: a leg's peer moved (an authenticated packet from a new address moved the latch).
    public var kind: String
    public var session: UInt64
    /// The leg's side (`softphone` or `pbx`).
    public var leg: String
    /// The leg's peer now.
    public var peer: String?
    /// How many times it happened since the previous frame.
    public var count: UInt64

    public init(kind: String, session: UInt64, leg: String, peer: String?, count: UInt64) {
        self.kind = kind
        self.session = session
        self.leg = leg
        self.peer = peer
        self.count = count
    }
}

/// `version`.
public struct AdminVersion: Codable, Sendable, Equatable {
    public var version: String
    public var startedAt: String
    public var srtpCrypto: String

    public init(version: String, startedAt: String, srtpCrypto: String) {
        self.version = version
        self.startedAt = startedAt
        self.srtpCrypto = srtpCrypto
    }
}

/// The result of a command that only says it worked (`terminate`, `log-level`).
public struct AdminDone: Codable, Sendable, Equatable {
    public var message: String

    public init(_ message: String) { self.message = message }
}

/// The recording vault's counters since start (`stats`, `metrics`).
public struct AdminRecordingStats: Codable, Sendable, Equatable {
    /// Recordings open now.
    public var open: Int
    public var started: UInt64
    public var completed: UInt64
    /// Recordings that ended early because their file could not be written.
    public var failed: UInt64
    /// Packets written into recordings.
    public var packets: UInt64
    /// Packets not recorded because a media loop's capture ring was full (`recordingOverrun`).
    public var overruns: UInt64
    /// Sealed bytes written to disk.
    public var bytesWritten: UInt64
    /// Whether the vault takes new recordings (false after a write failed, until a probe write succeeds).
    public var available: Bool

    public init(
        open: Int, started: UInt64, completed: UInt64, failed: UInt64, packets: UInt64, overruns: UInt64,
        bytesWritten: UInt64, available: Bool
    ) {
        self.open = open
        self.started = started
        self.completed = completed
        self.failed = failed
        self.packets = packets
        self.overruns = overruns
        self.bytesWritten = bytesWritten
        self.available = available
    }
}
