internal import COpus

/// One libopus decoder (48 kHz, mono: a stereo Opus stream is downmixed, since each leg is one channel of the
/// export), owned for one SSRC and freed with it.
final class OpusFrameDecoder {
    /// The most samples one Opus packet can hold at 48 kHz (120 ms).
    static let maximumFrame = 5760
    /// Packet loss concealment works in steps of 2.5 ms.
    static let concealmentStep = 120
    private let decoder: OpaquePointer
    private var scratch = [Int16](repeating: 0, count: maximumFrame)

    init() throws {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(48000, 1, &error), error == OPUS_OK else {
            throw ExportError.opus("creating an Opus decoder", code: error)
        }
        self.decoder = decoder
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes one packet; nil when libopus refuses it (the caller treats it as lost).
    func decode(_ payload: [UInt8]) -> ArraySlice<Int16>? {
        guard !payload.isEmpty, payload.count <= 1500 else { return nil }
        let count = payload.withUnsafeBufferPointer { input in
            scratch.withUnsafeMutableBufferPointer { output in
                opus_decode(
                    decoder, input.baseAddress, Int32(input.count), output.baseAddress!, Int32(Self.maximumFrame), 0)
            }
        }
        guard count > 0 else { return nil }
        return scratch[0..<Int(count)]
    }

    /// libopus's packet loss concealment for `samples` (rounded down to 2.5 ms steps, at most 120 ms per call).
    func conceal(_ samples: Int) -> [Int16] {
        var out: [Int16] = []
        var remaining = samples - samples % Self.concealmentStep
        while remaining > 0 {
            let step = min(remaining, Self.maximumFrame)
            let count = scratch.withUnsafeMutableBufferPointer { output in
                opus_decode(decoder, nil, 0, output.baseAddress!, Int32(step), 0)
            }
            guard count > 0 else { break }
            out += scratch[0..<Int(count)]
            remaining -= Int(count)
        }
        return out
    }
}
