/// The audio file an export writes: both legs mixed to stereo, the other party on the left and the agent on
/// the right (docs/recording.md, "Export").
public enum ExportFormat: String, Sendable, CaseIterable {
    /// Ogg Opus (RFC 7845), 48 kHz stereo, written with libopusenc.
    case ogg
    /// RIFF WAVE, 16-bit PCM stereo at the recording's highest clock rate.
    case wav

    /// The format a file name asks for (`.ogg`/`.opus` or `.wav`), nil for any other extension.
    public init?(fileName: String) {
        let lower = fileName.lowercased()
        if lower.hasSuffix(".ogg") || lower.hasSuffix(".opus") {
            self = .ogg
        } else if lower.hasSuffix(".wav") {
            self = .wav
        } else {
            return nil
        }
    }
}
