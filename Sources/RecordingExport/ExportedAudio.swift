import Recording

/// A span of the recording that holds no audio on purpose, as export lists it (in the file's comments and in
/// `ExportedAudio.markers`). Times are seconds from the recording's start.
public struct ExportMarker: Sendable, Hashable {
    /// What the span is.
    public enum Kind: String, Sendable, Hashable {
        /// Capture was paused (`record pause` .. `record resume`): silence.
        case paused
        /// A masked span (`maskStarted` .. `maskEnded`): silence.
        case masked
        /// Capture stopped here (start and end are equal).
        case stopped
    }

    public var kind: Kind
    /// Seconds from the recording's start.
    public var start: Double
    /// Seconds from the recording's start (the end of the audio for a span still open when the recording ends).
    public var end: Double

    /// A marker.
    public init(kind: Kind, start: Double, end: Double) {
        self.kind = kind
        self.start = start
        self.end = end
    }

    /// `paused 12.340-15.000`: how the file's comments spell it.
    public var text: String {
        "\(kind.rawValue) \(Self.seconds(start))-\(Self.seconds(end))"
    }

    private static func seconds(_ value: Double) -> String {
        let millis = Int((value * 1000).rounded())
        let fraction = String(millis % 1000)
        return "\(millis / 1000)." + String(repeating: "0", count: 3 - fraction.count) + fraction
    }
}

/// What export did with one leg's packets.
public struct ExportedLegCounts: Sendable, Hashable {
    /// Packets decoded into the audio.
    public var decoded = 0
    /// Packets of a payload type export does not decode (telephone-event, comfort noise, unknown): skipped.
    public var skipped = 0
    /// Packets repeated with an RTP timestamp already seen for their SSRC: dropped.
    public var duplicates = 0
    /// Packets the decoder refused (a corrupt Opus frame): treated as lost.
    public var undecodable = 0
    /// Gaps of at most 100 ms filled by concealment, in milliseconds.
    public var concealedMilliseconds = 0
    /// Gaps longer than 100 ms (or inside a marker) left silent, in milliseconds.
    public var silentGapMilliseconds = 0

    /// Zero counts.
    public init() {}
}

/// An exported recording: the audio file's bytes and what went into it.
public struct ExportedAudio: Sendable {
    /// The file (WAV or Ogg Opus).
    public var bytes: [UInt8]
    public var format: ExportFormat
    /// The file's sample rate (8000 or 48000).
    public var sampleRate: Int
    /// The audio's length.
    public var durationSeconds: Double
    /// Paused, masked and stopped spans, in time order.
    public var markers: [ExportMarker]
    /// True when the container was cut (the relay stopped before the final chunk): the audio ends early.
    public var cut: Bool
    /// The PBX leg (left channel).
    public var pbx: ExportedLegCounts
    /// The softphone leg (right channel).
    public var softphone: ExportedLegCounts
}

/// Bounds on what an export builds, checked before the audio buffers are allocated.
public struct ExportLimits: Sendable, Hashable {
    /// The longest recording export renders (default 4 hours: 2 legs at 48 kHz, 16-bit, about 2.8 GB of
    /// buffers before encoding). A longer one is refused with `ExportError.tooLong`.
    public var maximumSeconds: Double

    /// Limits; the defaults suit a call of up to four hours.
    public init(maximumSeconds: Double = 4 * 3600) {
        self.maximumSeconds = maximumSeconds
    }
}
