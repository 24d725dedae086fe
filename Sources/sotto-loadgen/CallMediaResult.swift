/// One direction of one call, as the media thread counted it when the call ended.
struct DirectionResult: Sendable, Codable, Equatable {
    var sent = 0
    var received = 0
    var lost = 0
    var reordered = 0
    var duplicates = 0
    var authFailures = 0
    var wrongSSRC = 0
    var corrupt = 0
    var otherDrops = 0
    /// RFC 3550 interarrival jitter at the end of the stream, in milliseconds.
    var jitterMs = 0.0
    /// The largest jitter seen during the stream, in milliseconds.
    var maxJitterMs = 0.0
    /// The largest one-way latency through the relay, in microseconds.
    var maxLatencyUs: UInt64 = 0
}

/// What the media thread hands back for a finished call: index 0 is phone → PBX, 1 is PBX → phone.
struct CallMediaResult: Sendable {
    var directions = [DirectionResult(), DirectionResult()]
    /// When the phone received its first valid packet (the pump's clock, ns), or 0.
    var phoneFirstMedia: UInt64 = 0
    /// When the PBX side received its first valid packet (the pump's clock, ns), or 0.
    var pbxFirstMedia: UInt64 = 0
    /// Ticks the generator skipped because it fell behind (both sides).
    var skipped = 0
}
