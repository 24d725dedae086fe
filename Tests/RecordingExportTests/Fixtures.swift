import COpus
import Foundation
import Recording
import SottoTestSupport

@testable import RecordingExport

/// Tones, packets and the command-line tools the export tests check against.
enum Fixtures {
    static let pcmu: UInt8 = 0
    static let opus: UInt8 = 111
    static let telephoneEvent: UInt8 = 101

    static func metadata(id: String = "01JEXPORTTEST0000000000000") -> RecordingMetadata {
        RecordingMetadata(
            id: id, callID: "call-1@example.test", caller: "sip:alice@example.test", callee: "sip:bob@example.test",
            requestURI: "sip:bob@example.test",
            codecs: [
                [
                    RecordedCodec(payloadType: pcmu, name: "PCMU", clockRate: 8000),
                    RecordedCodec(payloadType: opus, name: "opus", clockRate: 48000, channels: 2),
                    RecordedCodec(payloadType: telephoneEvent, name: "telephone-event", clockRate: 8000),
                ]
            ],
            started: 1_800_000_000)
    }

    static func tone(_ hertz: Double, seconds: Double, rate: Int, amplitude: Double = 8000) -> [Int16] {
        (0..<Int(seconds * Double(rate))).map { index in
            Int16(amplitude * sin(2 * Double.pi * hertz * Double(index) / Double(rate)))
        }
    }

    /// 20 ms PCMU packets of a tone, arriving every 20 ms from `startArrival` (nanoseconds).
    static func pcmuPackets(
        leg: RecordedLeg, hertz: Double, seconds: Double, ssrc: UInt32 = 0x1111, firstTimestamp: UInt32 = 1000,
        firstSequence: UInt16 = 1, startArrival: UInt64 = 0
    ) -> [RecordedPacket] {
        let samples = tone(hertz, seconds: seconds, rate: 8000)
        return stride(from: 0, to: samples.count, by: 160).enumerated().map { index, start in
            RecordedPacket(
                leg: leg, stream: 0, payloadType: pcmu, sequence: firstSequence &+ UInt16(index),
                timestamp: firstTimestamp &+ UInt32(start), ssrc: ssrc,
                arrival: startArrival + UInt64(index) * 20_000_000,
                payload: samples[start..<min(start + 160, samples.count)].map(G711.encodeMu))
        }
    }

    /// 20 ms Opus packets (libopus's encoder, 48 kHz mono) of a tone, arriving every 20 ms.
    static func opusPackets(
        leg: RecordedLeg, hertz: Double, seconds: Double, ssrc: UInt32 = 0x2222, startArrival: UInt64 = 0
    ) -> [RecordedPacket] {
        var error: Int32 = 0
        let encoder = opus_encoder_create(48000, 1, OPUS_APPLICATION_AUDIO, &error)!
        defer { opus_encoder_destroy(encoder) }
        let samples = tone(hertz, seconds: seconds, rate: 48000)
        var packets: [RecordedPacket] = []
        var output = [UInt8](repeating: 0, count: 1500)
        for (index, start) in stride(from: 0, to: samples.count - 959, by: 960).enumerated() {
            let frame = Array(samples[start..<(start + 960)])
            let length = opus_encode(encoder, frame, 960, &output, 1500)
            precondition(length > 0)
            packets.append(
                RecordedPacket(
                    leg: leg, stream: 0, payloadType: opus, sequence: UInt16(index), timestamp: 5000 + UInt32(start),
                    ssrc: ssrc, arrival: startArrival + UInt64(index) * 20_000_000,
                    payload: Array(output[0..<Int(length)])))
        }
        return packets
    }

    static func entries(_ packets: [RecordedPacket]...) -> [RecordingEntry] {
        packets.flatMap { $0 }.sorted { $0.arrival < $1.arrival }.map { .packet($0) }
    }

    /// Runs a tool, standard error folded into standard output; throws when it exits non-zero.
    @discardableResult
    static func run(_ tool: String, _ arguments: [String]) async throws -> String {
        let result = try await ChildProcess.run(tool, arguments, stderr: .standardOutput)
        guard result.status == 0 else {
            throw TestHarnessError(
                "\(tool) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stdout)")
        }
        return result.stdout
    }

    /// The strongest frequency of one channel of a file, from sox's power spectrum (`stat -freq`).
    static func frequency(of path: String, channel: Int) async throws -> Double {
        let output = try await run("/usr/bin/sox", [path, "-n", "remix", String(channel), "stat", "-freq"])
        var peak: (frequency: Double, power: Double) = (0, -1)
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            guard fields.count == 2, let frequency = Double(fields[0]), let power = Double(fields[1]) else { continue }
            if power > peak.power { peak = (frequency, power) }
        }
        guard peak.power > 0 else { throw TestHarnessError("no spectrum in sox's output: \(output.prefix(500))") }
        return peak.frequency
    }

    /// The 16-bit samples of a WAV file export wrote (interleaved), read back by finding its data chunk.
    static func wavSamples(_ bytes: [UInt8]) -> [Int16] {
        var offset = 12
        while offset + 8 <= bytes.count {
            let size =
                Int(bytes[offset + 4]) | Int(bytes[offset + 5]) << 8 | Int(bytes[offset + 6]) << 16
                | Int(bytes[offset + 7]) << 24
            if bytes[offset..<(offset + 4)].elementsEqual("data".utf8) {
                return stride(from: offset + 8, to: offset + 8 + size, by: 2).map {
                    Int16(bitPattern: UInt16(bytes[$0]) | UInt16(bytes[$0 + 1]) << 8)
                }
            }
            offset += 8 + size + size % 2
        }
        return []
    }

    /// Bech32 (BIP 173) encoding, for building recipients the tests need (age's own tool makes the real ones).
    static func bech32(hrp: String, data: [UInt8]) -> String {
        let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        var values: [UInt8] = []
        var accumulator: UInt32 = 0
        var bits = 0
        for byte in data {
            accumulator = accumulator << 8 | UInt32(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                values.append(UInt8((accumulator >> UInt32(bits)) & 31))
            }
        }
        if bits > 0 { values.append(UInt8((accumulator << UInt32(5 - bits)) & 31)) }
        return bech32(hrp: hrp, values: values)
    }

    /// Bech32 from 5-bit values as they are (so a test can set padding bits).
    static func bech32(hrp: String, values: [UInt8]) -> String {
        let charset = Array("qpzry9x8gf2tvdw0s3jn54khce6mua7l")
        let hrpBytes = Array(hrp.utf8)
        let expanded = hrpBytes.map { $0 >> 5 } + [0] + hrpBytes.map { $0 & 31 }
        let generator: [UInt32] = [0x3b6a_57b2, 0x2650_8e6d, 0x1ea1_19fa, 0x3d42_33dd, 0x2a14_62b3]
        var check: UInt32 = 1
        for value in expanded + values + [0, 0, 0, 0, 0, 0] {
            let top = check >> 25
            check = (check & 0x1ff_ffff) << 5 ^ UInt32(value)
            for bit in 0..<5 where (top >> UInt32(bit)) & 1 == 1 { check ^= generator[bit] }
        }
        check ^= 1
        let checksum = (0..<6).map { UInt8((check >> UInt32(5 * (5 - $0))) & 31) }
        return hrp + "1" + String((values + checksum).map { charset[Int($0)] })
    }
}
