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
    var phones: Int
    var maxLossPercent: Double
    var maxFailures: Int
    var readyTimeoutSeconds: Double
    var certificate: String
    var privateKey: String
    var caFile: String?

    var profile: SRTPProfile { SRTPProfile(rawValue: suite) ?? .aesCM128HMACSHA1_80 }
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
