import Foundation

/// The codecs the test PBX's tone extension can encode.
enum ToneCodec: String, Sendable, Equatable {
    /// Opus (RFC 7587), 48 kHz, encoded with libopus.
    case opus
    /// G.711 μ-law.
    case pcmu
    /// G.711 A-law.
    case pcma

    /// The codec an `a=rtpmap` encoding name stands for; nil when the tone cannot be encoded in it.
    init?(name: String) {
        switch name.lowercased() {
        case "opus": self = .opus
        case "pcmu": self = .pcmu
        case "pcma": self = .pcma
        default: return nil
        }
    }

    /// The RTP clock rate (RFC 7587 §4.1: Opus always counts 48 kHz).
    var clockRate: Int { self == .opus ? 48_000 : 8_000 }
}

/// One second of a tone, encoded frame by frame and played in a loop: a 440 Hz tone for 0.6 s, then 0.4 s of
/// silence, so that a person hears at once that it is the tone extension and that audio flows.
struct ToneFrames: Sendable {
    /// The encoded frames of one second.
    let frames: [[UInt8]]
    /// RTP timestamp units per frame.
    let samplesPerFrame: Int

    /// Encodes the tone for `codec` in frames of `ptimeMilliseconds`.
    static func make(codec: ToneCodec, ptimeMilliseconds: Int) throws(LoadgenError) -> ToneFrames {
        let samplesPerFrame = codec.clockRate * ptimeMilliseconds / 1000
        let frameCount = max(1, 1000 / ptimeMilliseconds)
        let signal = beep(rate: codec.clockRate, samples: samplesPerFrame * frameCount)
        let frames: [[UInt8]]
        switch codec {
        case .opus:
            frames = try PayloadFrames.opusFrames(
                signal, samplesPerFrame: samplesPerFrame, frameCount: frameCount,
                ptimeMilliseconds: ptimeMilliseconds, bitrate: 32_000)
        case .pcmu, .pcma:
            let encode = codec == .pcmu ? PayloadFrames.muLaw : aLaw
            frames = (0..<frameCount).map { index in
                signal[(index * samplesPerFrame)..<((index + 1) * samplesPerFrame)].map(encode)
            }
        }
        return ToneFrames(frames: frames, samplesPerFrame: samplesPerFrame)
    }

    /// 440 Hz for the first 60 % of `samples`, silence after, at a third of full scale. 440 whole periods fit a
    /// second, so the loop joins without a click.
    static func beep(rate: Int, samples: Int) -> [Int16] {
        let on = samples * 6 / 10
        return (0..<samples).map { index in
            index < on ? Int16(sin(2 * Double.pi * 440 * Double(index) / Double(rate)) * 10_000) : 0
        }
    }

    /// G.711 A-law encoding of one linear sample (ITU-T G.711: 13-bit magnitude, segment and mantissa, even bits
    /// inverted).
    static func aLaw(_ sample: Int16) -> UInt8 {
        var value = Int(sample) >> 3  // 13-bit range
        let sign = value >= 0 ? 0x80 : 0x00
        if value < 0 { value = -value - 1 }
        value = min(value, 0xFFF)
        let encoded: Int
        if value < 32 {
            encoded = value >> 1
        } else {
            var segment = 1
            while segment < 7 && value >= (32 << segment) { segment += 1 }
            encoded = (segment << 4) | ((value >> segment) & 0x0F)
        }
        return UInt8((sign | encoded) ^ 0x55)
    }
}
