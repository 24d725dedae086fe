/// What a recording holds, in the order the relay captured it: the decrypted RTP payloads of both legs (after
/// SRTP authentication), each with what export needs to put it back in place, and the events that mark gaps.
/// Nothing is mixed or decoded on the relay; the officer's `sottoctl` does that at export.

/// Which leg a packet came from. Sotto stands between the agents' softphones and the PBX, so a call's two legs
/// are always the PBX's (the customer, whoever called whom) and the softphone's (the agent). Export puts the
/// PBX leg on the left channel and the agent on the right.
public enum RecordedLeg: UInt8, Sendable, Hashable, Codable {
    /// The PBX's leg (the customer): left.
    case pbx = 0
    /// The softphone's leg (the agent): right.
    case softphone = 1
}

/// One captured RTP packet: its payload and the header fields export needs.
public struct RecordedPacket: Sendable, Hashable {
    /// The leg it arrived on.
    public var leg: RecordedLeg
    /// The media stream (`m=` line) of the call, from 0.
    public var stream: UInt8
    /// RTP payload type (7 bits).
    public var payloadType: UInt8
    /// RTP sequence number.
    public var sequence: UInt16
    /// RTP timestamp.
    public var timestamp: UInt32
    /// RTP SSRC.
    public var ssrc: UInt32
    /// When the relay received it: nanoseconds since the recording started.
    public var arrival: UInt64
    /// The decrypted payload (no RTP header, no padding).
    public var payload: [UInt8]

    /// A captured packet.
    public init(
        leg: RecordedLeg, stream: UInt8, payloadType: UInt8, sequence: UInt16, timestamp: UInt32, ssrc: UInt32,
        arrival: UInt64, payload: [UInt8]
    ) {
        self.leg = leg
        self.stream = stream
        self.payloadType = payloadType
        self.sequence = sequence
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.arrival = arrival
        self.payload = payload
    }
}

/// A change in what is being captured.
public enum RecordedEventKind: UInt8, Sendable, Hashable, Codable {
    /// Capture paused (an operator's `record pause`): what follows until `resumed` is a gap, not audio.
    case paused = 1
    /// Capture resumed.
    case resumed = 2
    /// A masked span begins (a PCI span, later): a gap export marks as masked.
    case maskStarted = 3
    /// The masked span ends.
    case maskEnded = 4
    /// Capture stopped for good (an operator's `record stop`, or the call ended).
    case stopped = 5
}

/// One event, at its time.
public struct RecordedEvent: Sendable, Hashable {
    public var kind: RecordedEventKind
    /// Nanoseconds since the recording started.
    public var at: UInt64

    /// An event.
    public init(kind: RecordedEventKind, at: UInt64) {
        self.kind = kind
        self.at = at
    }
}

/// One entry of a recording's plaintext.
public enum RecordingEntry: Sendable, Hashable {
    case packet(RecordedPacket)
    case event(RecordedEvent)
}

/// A codec of one stream, as negotiated (the SDP's `a=rtpmap`).
public struct RecordedCodec: Sendable, Hashable, Codable {
    public var payloadType: UInt8
    /// The encoding name as the SDP gave it (`PCMU`, `PCMA`, `opus`, `telephone-event`, ...).
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt8

    /// A codec.
    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt8 = 1) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
    }
}

/// What a recording is of: sealed inside the container (its first entry), so the parties and codecs of a
/// finished recording are as private as its audio. The index keeps the parties too, for search (see
/// docs/recording.md).
public struct RecordingMetadata: Sendable, Hashable, Codable {
    /// The recording's id (also the container's and the index row's).
    public var id: String
    public var callID: String
    /// The `From` URI.
    public var caller: String
    /// The `To` URI.
    public var callee: String
    public var requestURI: String
    /// Per stream, the codecs each leg may send.
    public var codecs: [[RecordedCodec]]
    /// Wall-clock start, seconds since 1970 (UTC).
    public var started: Double

    /// Metadata.
    public init(
        id: String, callID: String, caller: String, callee: String, requestURI: String, codecs: [[RecordedCodec]],
        started: Double
    ) {
        self.id = id
        self.callID = callID
        self.caller = caller
        self.callee = callee
        self.requestURI = requestURI
        self.codecs = codecs
        self.started = started
    }
}
