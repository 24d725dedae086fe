import SRTP

/// A run's validated settings (what the command line asked for).
struct LoadgenSettings: Sendable, Codable, Equatable {
    var relayHost: String
    var relayPort: UInt16
    var serverName: String
    var listenHost: String
    var listenPort: UInt16
    var phoneIP: String
    var pbxIP: String
    var calls: Int
    var concurrency: Int
    var rate: Double
    var holdSeconds: Double
    var durationSeconds: Double
    var codec: Codec
    var suite: String
    var ptimeMilliseconds: Int
    /// Opus target bitrate, bits per second.
    var opusBitrate = 32_000
    /// Steady tones instead of the sweep (`--tones`).
    var tones: Tones?
    var phones: Int
    /// Media sockets per side, shared by that side's streams.
    var mediaSockets = 8
    var maxLossPercent: Double
    var maxFailures: Int
    var readyTimeoutSeconds: Double
    var certificate: String
    var privateKey: String
    var caFile: String?
    /// Softphones REGISTER (through the relay) before any call; the PBX side is their registrar.
    var register = false
    /// Who places the calls: the softphones (outbound), the PBX side (inbound), or each in turn (both).
    var direction = CallDirection.outbound
    /// How long the answering side rings (180 sent) before it answers, in seconds (`--ring`).
    var ringSeconds = 0.0
    /// The hold the answering side's SDP answer puts the call on (`--hold-direction`); nil answers sendrecv.
    var holdDirection: HoldDirection?
    /// The user part the softphones' INVITEs are addressed to (`--callee`); nil: `pbx`.
    var callee: String?
    /// The callee sends each phone's own audio back (`--expect-echo`, a test PBX's echo extension): each phone
    /// checks its own payloads coming back, and direction 0 is the round trip.
    var expectEcho = false
    /// Seconds between each phone's REGISTER refreshes (`--register-every`); nil or 0: registered once.
    var registerEverySeconds: Double? = nil
    /// `--floor`: plain RTP through the benchmark's floor relay, no SIP, TLS or SRTP; nil: a SIP relay.
    var floor: FloorTarget? = nil

    var profile: SRTPProfile { SRTPProfile(rawValue: suite) ?? .aesCM128HMACSHA1_80 }
}

/// Who places a run's calls.
enum CallDirection: String, Sendable, Codable, Equatable, CaseIterable {
    /// Softphone → relay → PBX.
    case outbound
    /// PBX → relay → softphone, through the Path the relay added at REGISTER.
    case inbound
    /// Alternately: even call numbers outbound, odd inbound.
    case both

    /// The direction call `number` takes.
    func forCall(_ number: Int) -> CallDirection {
        switch self {
        case .outbound, .inbound: self
        case .both: number % 2 == 0 ? .outbound : .inbound
        }
    }
}

/// The direction attribute the answering side puts in its answer to hold the call (RFC 3264 §8.4).
enum HoldDirection: String, Sendable, Codable, Equatable, CaseIterable {
    /// `a=sendonly`: the answerer sends, the caller (then receive-only) does not.
    case sendonly
    /// `a=inactive`: neither side sends.
    case inactive

    /// The answer's directions of a call that carry no media by design: index 0 phone → PBX, 1 PBX → phone.
    /// The caller's direction for `sendonly`; both for `inactive`.
    func silentDirections(callerIsPhone: Bool) -> [Int] {
        switch self {
        case .sendonly: [callerIsPhone ? 0 : 1]
        case .inactive: [0, 1]
        }
    }
}

/// `HOST:PORT` (IPv4 or a name) to its parts.
func splitHostPort(_ text: String, option: String) throws(LoadgenError) -> (String, UInt16) {
    guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0,
        colon > text.startIndex
    else {
        throw LoadgenError("\(option) wants HOST:PORT, not \"\(text)\"")
    }
    return (String(text[..<colon]), port)
}

/// `--tones`: the frequency each side sends, in Hz.
struct Tones: Sendable, Codable, Equatable {
    var phone: Double
    var pbx: Double
}
