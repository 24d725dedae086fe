import SRTP
import Transport

/// Which side of a call an endpoint plays.
enum Side: Int, Sendable, Codable {
    /// The softphone (the relay's leg A).
    case phone = 0
    /// The PBX (the relay's leg B).
    case pbx = 1

    var other: Side { self == .phone ? .pbx : .phone }
}

/// The send times of one stream, indexed by packet index modulo the ring size; the receiving end
/// looks its packets up here to measure one-way latency through the relay.
final class SendTimeRing: @unchecked Sendable {
    static let size = 1024
    /// Each entry packs the packet index's low 16 bits above a 48-bit send time (ns on the
    /// pump's clock), so a stale entry (a packet more than `size` behind) is recognised.
    private let entries: UnsafeMutablePointer<UInt64>

    init() {
        entries = .allocate(capacity: Self.size)
        entries.initialize(repeating: .max, count: Self.size)
    }

    deinit { entries.deallocate() }

    func store(index: UInt64, time: UInt64) {
        entries[Int(index % UInt64(Self.size))] = (index & 0xFFFF) << 48 | (time & 0xFFFF_FFFF_FFFF)
    }

    /// The send time of packet `index`, or nil when its entry has been overwritten.
    func time(of index: UInt64) -> UInt64? {
        let entry = entries[Int(index % UInt64(Self.size))]
        guard entry != .max, entry >> 48 == index & 0xFFFF else { return nil }
        return entry & 0xFFFF_FFFF_FFFF
    }
}

/// Everything the media thread knows about one call: two endpoints that send to the relay and
/// check what the relay sends them. Made on the signalling loop, then handed to the pump, which
/// alone touches the endpoints from then on.
final class CallMedia: @unchecked Sendable {
    let number: Int
    /// What each side sends, by ``Side/rawValue``.
    let frames: [PayloadFrames]
    let ssrc: [UInt32]
    let rings = [SendTimeRing(), SendTimeRing()]
    var endpoints: [MediaEndpoint?] = [nil, nil]

    init(number: Int, frames: [PayloadFrames]) {
        self.number = number
        self.frames = frames
        var first = UInt32.random(in: 1...UInt32.max)
        var second = UInt32.random(in: 1...UInt32.max)
        while second == first { second = UInt32.random(in: 1...UInt32.max) }
        if first == 0 { first = 1 }
        ssrc = [first, second]
    }
}

/// One side of one call: its share of a media socket, its two SRTP contexts and its counters.
final class MediaEndpoint: @unchecked Sendable {
    let side: Side
    let call: CallMedia
    /// The shared socket it sends and receives on (an index into ``MediaSockets/sockets``).
    let socketIndex: Int
    /// That socket's port, which the endpoint's SDP declares.
    let localPort: UInt16
    var destination: UDPAddress?
    var outbound: SRTPContext?
    var inbound: SRTPContext?
    /// Whether the media thread routes packets from `destination` on its socket to this endpoint.
    var routed = false
    var sending = false
    var nextSend: UInt64 = 0
    /// Packets sent so far; also the next packet's index.
    var sent: UInt64 = 0
    /// Sends the kernel refused (a full socket buffer, say).
    var sendErrors = 0
    /// Ticks skipped because the generator fell more than a few packets behind its schedule.
    var skipped = 0
    var statistics = ReceiveStatistics()
    /// The far end sends this endpoint's own stream back (`--expect-echo`): it checks its own payloads, under the
    /// SSRC of the first packet that authenticates (the echo's own), and measures the round trip.
    var expectsEcho = false
    var echoSSRC: UInt32?
    var maxLatency: UInt64 = 0

    init(side: Side, call: CallMedia, socket: (index: Int, port: UInt16)) {
        self.side = side
        self.call = call
        socketIndex = socket.index
        localPort = socket.port
    }

    var ssrc: UInt32 { call.ssrc[side.rawValue] }
    var expectedSSRC: UInt32 { call.ssrc[side.other.rawValue] }
    var ownRing: SendTimeRing { call.rings[side.rawValue] }
    var peerRing: SendTimeRing { call.rings[side.other.rawValue] }
}
