internal import COpus
internal import CSottoCodec
import Foundation

/// The codecs the generator can send.
enum Codec: String, Sendable, CaseIterable, Codable {
    /// Opus (RFC 7587), 48 kHz mono, encoded with libopus.
    case opus
    /// G.711 μ-law (RFC 3551 §4.5.14), 8 kHz.
    case pcmu

    /// The RTP payload type written in SDP and in every packet.
    var payloadType: UInt8 { self == .opus ? 111 : 0 }
    /// The RTP clock rate.
    var clockRate: Int { self == .opus ? 48_000 : 8_000 }
    /// The `a=rtpmap` value.
    var rtpmap: String { self == .opus ? "111 opus/48000/2" : "0 PCMU/8000" }
}

/// One second of pre-encoded audio, cycled: packet `n` of a stream carries frame `n % count`, so the
/// receiver knows exactly which bytes a given packet index must carry (the payload integrity check).
struct PayloadFrames: Sendable {
    /// The encoded frames.
    let frames: [[UInt8]]
    /// RTP timestamp units per frame.
    let samplesPerFrame: Int
    /// The codec.
    let codec: Codec

    /// The frame carried by packet index `index`.
    func frame(_ index: UInt64) -> [UInt8] { frames[Int(index % UInt64(frames.count))] }

    /// Makes the frames from a tone sweep (200 Hz to 3 kHz over one second, then back), so that the
    /// payload is never silence (a codec with DTX or VAD would otherwise send nearly nothing).
    /// With `tone`, a steady tone of that frequency instead (one second holds a whole number of its periods when
    /// the frequency is a whole number, so the loop is seamless).
    static func make(codec: Codec, ptimeMilliseconds: Int, opusBitrate: Int = 32_000, tone: Double? = nil)
        throws(LoadgenError) -> PayloadFrames
    {
        let samplesPerFrame = codec.clockRate * ptimeMilliseconds / 1000
        let frameCount = max(1, 1000 / ptimeMilliseconds)
        let samples = samplesPerFrame * frameCount
        let signal =
            tone.map { hertz in
                (0..<samples).map { Int16(sin(2 * Double.pi * hertz * Double($0) / Double(codec.clockRate)) * 10_000) }
            } ?? sweep(rate: codec.clockRate, samples: samples)
        var frames: [[UInt8]] = []
        switch codec {
        case .pcmu:
            for index in 0..<frameCount {
                let slice = signal[(index * samplesPerFrame)..<((index + 1) * samplesPerFrame)]
                frames.append(slice.map(muLaw))
            }
        case .opus:
            frames = try opusFrames(
                signal, samplesPerFrame: samplesPerFrame, frameCount: frameCount, ptimeMilliseconds: ptimeMilliseconds,
                bitrate: opusBitrate)
        }
        return PayloadFrames(frames: frames, samplesPerFrame: samplesPerFrame, codec: codec)
    }

    /// Encodes `frameCount` frames of `samplesPerFrame` 48 kHz mono samples of `signal` with libopus, one by one.
    static func opusFrames(
        _ signal: [Int16], samplesPerFrame: Int, frameCount: Int, ptimeMilliseconds: Int, bitrate: Int
    ) throws(LoadgenError) -> [[UInt8]] {
        var frames: [[UInt8]] = []
        var status: Int32 = 0
        guard let encoder = opus_encoder_create(48_000, 1, OPUS_APPLICATION_VOIP, &status), status == OPUS_OK
        else {
            throw LoadgenError("libopus could not make an encoder (status \(status))")
        }
        defer { opus_encoder_destroy(encoder) }
        guard CSottoCodec_opus_set_bitrate(encoder, Int32(bitrate)) == OPUS_OK else {
            throw LoadgenError("libopus refused the bitrate \(bitrate) bit/s")
        }
        var output = [UInt8](repeating: 0, count: 1500)
        for index in 0..<frameCount {
            let pcm = Array(signal[(index * samplesPerFrame)..<((index + 1) * samplesPerFrame)])
            let written = pcm.withUnsafeBufferPointer { input in
                output.withUnsafeMutableBufferPointer { out in
                    opus_encode(encoder, input.baseAddress!, Int32(samplesPerFrame), out.baseAddress!, 1500)
                }
            }
            guard written > 0 else {
                throw LoadgenError("libopus could not encode a \(ptimeMilliseconds) ms frame (status \(written))")
            }
            frames.append(Array(output[..<Int(written)]))
        }
        return frames
    }

    /// A linear sweep up then down, at a third of full scale.
    static func sweep(rate: Int, samples: Int) -> [Int16] {
        var phase = 0.0
        var result: [Int16] = []
        result.reserveCapacity(samples)
        for index in 0..<samples {
            let position = Double(index) / Double(samples)
            let triangle = position < 0.5 ? position * 2 : (1 - position) * 2
            let frequency = 200 + 2_800 * triangle
            phase += 2 * Double.pi * frequency / Double(rate)
            result.append(Int16(sin(phase) * 10_000))
        }
        return result
    }

    /// G.711 μ-law encoding of one linear sample (ITU-T G.711, the classic Sun reference algorithm).
    static func muLaw(_ sample: Int16) -> UInt8 {
        let bias = 0x84
        let clip = 32_635
        var value = Int(sample)
        let sign = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        if value > clip { value = clip }
        value += bias
        var exponent = 7
        var mask = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0F
        return UInt8(~(sign | (exponent << 4) | mantissa) & 0xFF)
    }
}

/// A setup or usage problem that ends the run with exit status 2, with a sentence for the user.
struct LoadgenError: Error, CustomStringConvertible, Sendable {
    /// What went wrong.
    let description: String
    init(_ description: String) { self.description = description }
}
