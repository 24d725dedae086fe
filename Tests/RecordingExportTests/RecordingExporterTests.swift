import Foundation
import Recording
import SottoTestSupport
import Testing

@testable import RecordingExport

@Suite struct RecordingExporterTests {
    let metadata = Fixtures.metadata()

    /// Two PCMU legs to WAV: 8 kHz stereo, the PBX's 440 Hz on the left and the softphone's 1000 Hz on the right,
    /// as sox measures them.
    @Test func wavPutsEachLegOnItsChannel() async throws {
        let entries = Fixtures.entries(
            Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 2),
            Fixtures.pcmuPackets(leg: .softphone, hertz: 1000, seconds: 2, ssrc: 0x3333))
        let audio = try RecordingExporter.render(metadata: metadata, entries: entries, cut: false, format: .wav)
        #expect(audio.sampleRate == 8000)
        #expect(abs(audio.durationSeconds - 2) < 0.001)
        #expect(audio.pbx.decoded == 100 && audio.softphone.decoded == 100)
        let directory = try TemporaryDirectory("sotto-export")
        let path = directory.file("call.wav")
        try Data(audio.bytes).write(to: URL(fileURLWithPath: path))
        let info = try await Fixtures.run("/usr/bin/soxi", [path])
        #expect(info.contains("Channels       : 2"))
        #expect(info.contains("Sample Rate    : 8000"))
        #expect(info.contains("16-bit"))
        #expect(info.contains("00:00:02.00 = 16000 samples"))
        #expect(abs(try await Fixtures.frequency(of: path, channel: 1) - 440) < 10)
        #expect(abs(try await Fixtures.frequency(of: path, channel: 2) - 1000) < 15)
    }

    /// PCMU from the PBX and Opus from the softphone to Ogg Opus: opusinfo finds a valid stereo stream of the
    /// right length (within 40 ms) with the recording's comments; decoded with opusdec, the left channel is
    /// 440 Hz and the right 1000 Hz.
    @Test func oggOpusIsValidStereoWithEachLegOnItsChannel() async throws {
        let entries = Fixtures.entries(
            Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 3),
            Fixtures.opusPackets(leg: .softphone, hertz: 1000, seconds: 3))
        let audio = try RecordingExporter.render(metadata: metadata, entries: entries, cut: true, format: .ogg)
        #expect(audio.sampleRate == 48000)
        #expect(audio.cut)
        #expect(audio.softphone.decoded == 150)
        let directory = try TemporaryDirectory("sotto-export")
        let path = directory.file("call.ogg")
        try Data(audio.bytes).write(to: URL(fileURLWithPath: path))
        let info = try await Fixtures.run("/usr/bin/opusinfo", [path])
        #expect(info.contains("Channels: 2"), "\(info)")
        #expect(info.contains("SOTTO_RECORDING_ID=\(metadata.id)"))
        #expect(info.contains("SOTTO_CUT=yes"))
        #expect(!info.contains("WARNING"), "\(info)")
        let length = try #require(Self.playbackSeconds(info))
        #expect(abs(length - 3) < 0.04, "opusinfo says \(length) s")
        let decoded = directory.file("decoded.wav")
        try await Fixtures.run("/usr/bin/opusdec", ["--rate", "48000", path, decoded])
        // Skip the first 100 ms (the encoder's start-up).
        let left = directory.file("left.wav")
        try await Fixtures.run("/usr/bin/sox", [decoded, left, "trim", "0.1"])
        #expect(abs(try await Fixtures.frequency(of: left, channel: 1) - 440) < 10)
        #expect(abs(try await Fixtures.frequency(of: left, channel: 2) - 1000) < 15)
    }

    /// opusinfo's "Playback length: 0m:03.000s" in seconds.
    static func playbackSeconds(_ info: String) -> Double? {
        guard let line = info.split(separator: "\n").first(where: { $0.contains("Playback length:") }),
            let value = line.split(separator: " ").last
        else { return nil }
        let parts = value.dropLast().split(separator: "m:")
        guard parts.count == 2, let minutes = Double(parts[0]), let seconds = Double(parts[1]) else { return nil }
        return minutes * 60 + seconds
    }

    /// Packets that arrive out of order (each pair swapped, with their arrival times) render to the same audio
    /// as in order.
    @Test func reorderedPacketsAreSortedByTimestamp() throws {
        let inOrder = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1)
        var swapped = inOrder
        for index in stride(from: 1, to: swapped.count - 1, by: 2) {
            let arrival = swapped[index].arrival
            swapped[index].arrival = swapped[index + 1].arrival
            swapped[index + 1].arrival = arrival
            swapped.swapAt(index, index + 1)
        }
        let expected = try RecordingExporter.render(
            metadata: metadata, entries: inOrder.map { .packet($0) }, cut: false, format: .wav)
        let actual = try RecordingExporter.render(
            metadata: metadata, entries: swapped.map { .packet($0) }, cut: false, format: .wav)
        #expect(actual.bytes == expected.bytes)
        #expect(actual.pbx.concealedMilliseconds == 0)
    }

    /// A packet delivered twice is dropped and counted; the audio is as if it came once.
    @Test func duplicatesAreDroppedAndCounted() throws {
        let packets = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1)
        var repeated = packets
        var again = packets[10]
        again.arrival += 5_000_000
        again.payload = [UInt8](repeating: 0x00, count: 160)  // a different (loud) payload under the same timestamp
        repeated.insert(again, at: 11)
        let expected = try RecordingExporter.render(
            metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav)
        let actual = try RecordingExporter.render(
            metadata: metadata, entries: repeated.map { .packet($0) }, cut: false, format: .wav)
        #expect(actual.pbx.duplicates == 1)
        #expect(actual.bytes == expected.bytes)
    }

    /// RTP timestamps that wrap past 2^32 mid-call render the same as ones that do not.
    @Test func timestampWrapIsUnwrapped() throws {
        var plain = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1)
        var wrapping = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1, firstTimestamp: UInt32.max - 799)
        // The packet at the wrap (timestamp 0) arrives 30 ms late: placed by its timestamp, not its arrival.
        plain[5].arrival += 30_000_000
        wrapping[5].arrival += 30_000_000
        #expect(wrapping[5].timestamp == 0)
        let expected = try RecordingExporter.render(
            metadata: metadata, entries: plain.map { .packet($0) }, cut: false, format: .wav)
        let actual = try RecordingExporter.render(
            metadata: metadata, entries: wrapping.map { .packet($0) }, cut: false, format: .wav)
        #expect(actual.bytes == expected.bytes)
    }

    /// A new SSRC with an unrelated timestamp base, and a timestamp jump within one SSRC, are anchored at their
    /// arrival: the audio stays continuous and the length stays the call's.
    @Test func newSSRCAndTimestampJumpsAreAnchoredAtArrival() throws {
        let first = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1)
        let second = Fixtures.pcmuPackets(
            leg: .pbx, hertz: 440, seconds: 1, ssrc: 0x9999, firstTimestamp: 3_000_000_000, startArrival: 1_000_000_000)
        var jumping = Fixtures.pcmuPackets(leg: .softphone, hertz: 1000, seconds: 2, ssrc: 0x4444)
        for index in 50..<jumping.count { jumping[index].timestamp &+= 80_000_000 }  // 10 000 s ahead
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: Fixtures.entries(first, second, jumping), cut: false, format: .wav)
        #expect(abs(audio.durationSeconds - 2) < 0.001)
        #expect(audio.pbx.silentGapMilliseconds == 0 && audio.softphone.silentGapMilliseconds == 0)
        let samples = Fixtures.wavSamples(audio.bytes)
        let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        let right = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
        for window in stride(from: 0, to: 16000 - 160, by: 160) {
            #expect(left[window..<(window + 160)].contains { abs(Int($0)) > 4000 }, "left silent at \(window)")
            #expect(right[window..<(window + 160)].contains { abs(Int($0)) > 4000 }, "right silent at \(window)")
        }
    }

    /// One lost 20 ms PCMU packet is concealed (the last frame, fading); 200 ms lost is left silent.
    @Test func shortGapsAreConcealedLongOnesSilent() throws {
        var packets = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 2)
        packets.remove(at: 20)  // 400..420 ms
        packets.removeSubrange(60..<70)  // 1200..1400 ms (after the first removal shifted indices by one)
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav)
        #expect(audio.pbx.concealedMilliseconds == 20)
        #expect(audio.pbx.silentGapMilliseconds == 200)
        let samples = Fixtures.wavSamples(audio.bytes)
        let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        #expect(left[3200..<3360].contains { abs(Int($0)) > 2000 })
        #expect(left[9760..<11200].allSatisfy { $0 == 0 })
    }

    /// One lost Opus packet is concealed by libopus's packet loss concealment.
    @Test func opusLossIsConcealedByTheDecoder() throws {
        var packets = Fixtures.opusPackets(leg: .softphone, hertz: 1000, seconds: 1)
        packets.remove(at: 25)
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav)
        #expect(audio.sampleRate == 48000)
        #expect(audio.softphone.concealedMilliseconds == 20)
        let samples = Fixtures.wavSamples(audio.bytes)
        let right = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
        #expect(right[24000..<24960].contains { abs(Int($0)) > 1000 })
    }

    /// An empty or corrupt Opus payload is counted as undecodable and treated as lost (concealed), not as audio.
    @Test func badOpusPayloadsAreLost() throws {
        var packets = Fixtures.opusPackets(leg: .softphone, hertz: 1000, seconds: 1)
        packets[10].payload = []
        packets[20].payload = [0xFF, 0xFF, 0xFF]  // code 3 with a frame count and no frames
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav)
        #expect(audio.softphone.undecodable == 2)
        #expect(audio.softphone.decoded == 48)
        #expect(audio.softphone.concealedMilliseconds == 40)
    }

    /// A paused span is silent even if packets were captured in it, no gap next to it is concealed, and it is
    /// listed as a marker (in the result and in the Ogg comments); a stop is a point marker.
    @Test func pausedSpansAreSilentAndMarked() async throws {
        var entries = Fixtures.entries(Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 2))
        entries.insert(.event(RecordedEvent(kind: .paused, at: 500_000_000)), at: 25)
        entries.insert(.event(RecordedEvent(kind: .resumed, at: 1_000_000_000)), at: 51)
        entries.append(.event(RecordedEvent(kind: .stopped, at: 2_000_000_000)))
        let wav = try RecordingExporter.render(metadata: metadata, entries: entries, cut: false, format: .wav)
        #expect(
            wav.markers == [
                ExportMarker(kind: .paused, start: 0.5, end: 1.0), ExportMarker(kind: .stopped, start: 2, end: 2),
            ])
        let samples = Fixtures.wavSamples(wav.bytes)
        let left = stride(from: 0, to: samples.count, by: 2).map { samples[$0] }
        #expect(left[4000..<8000].allSatisfy { $0 == 0 })
        #expect(left[8000..<8160].contains { abs(Int($0)) > 4000 })
        let ogg = try RecordingExporter.render(metadata: metadata, entries: entries, cut: false, format: .ogg)
        let directory = try TemporaryDirectory("sotto-export")
        let path = directory.file("paused.ogg")
        try Data(ogg.bytes).write(to: URL(fileURLWithPath: path))
        let info = try await Fixtures.run("/usr/bin/opusinfo", [path])
        #expect(info.contains("SOTTO_MARKER=paused 0.500-1.000"), "\(info)")
        #expect(info.contains("SOTTO_MARKER=stopped 2.000-2.000"))
        #expect(!info.contains("SOTTO_CUT"))
    }

    /// A short gap that is a pause (no packets captured while paused) is not concealed: it stays a silent gap.
    @Test func aPauseIsNeverConcealed() throws {
        var packets = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1)
        packets.removeSubrange(25..<28)  // 500..560 ms
        var entries = packets.map { RecordingEntry.packet($0) }
        entries.insert(.event(RecordedEvent(kind: .paused, at: 500_000_000)), at: 25)
        entries.insert(.event(RecordedEvent(kind: .resumed, at: 560_000_000)), at: 26)
        let audio = try RecordingExporter.render(metadata: metadata, entries: entries, cut: false, format: .wav)
        #expect(audio.pbx.concealedMilliseconds == 0)
        #expect(audio.pbx.silentGapMilliseconds == 60)
        #expect(audio.markers == [ExportMarker(kind: .paused, start: 0.5, end: 0.56)])
    }

    /// Masked spans are markers like pauses; a span still open at a stop closes there, one open at the end
    /// closes at the end of the audio; a repeated start keeps the first.
    @Test func markerSpansFromEvents() {
        func event(_ kind: RecordedEventKind, _ seconds: UInt64) -> RecordedEvent {
            RecordedEvent(kind: kind, at: seconds * 1_000_000_000)
        }
        let spans = RecordingExporter.markerSpans(
            [
                event(.maskStarted, 1), event(.maskEnded, 2), event(.paused, 3), event(.paused, 4),
                event(.stopped, 5), event(.maskStarted, 6),
            ], closingAt: 9_000_000_000)
        #expect(spans.map(\.kind) == [.masked, .paused, .stopped, .masked])
        #expect(spans.map(\.start) == [1, 3, 5, 6].map { $0 * 1_000_000_000 })
        #expect(spans.map(\.end) == [2, 5, 5, 9].map { $0 * 1_000_000_000 })
    }

    /// PCMA by its static payload type 8 (not in the negotiated codecs) is decoded: the tone comes back within
    /// A-law's quantisation.
    @Test func pcmaByStaticPayloadType() throws {
        let tone = Fixtures.tone(440, seconds: 1, rate: 8000)
        var packets = Fixtures.pcmuPackets(leg: .softphone, hertz: 440, seconds: 1)
        for index in packets.indices {
            packets[index].payloadType = 8
            packets[index].payload = tone[(index * 160)..<(index * 160 + 160)].map(G711.encodeA)
        }
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav)
        #expect(audio.softphone.decoded == 50)
        let samples = Fixtures.wavSamples(audio.bytes)
        let right = stride(from: 1, to: samples.count, by: 2).map { samples[$0] }
        #expect(right.count == tone.count)
        #expect(zip(right, tone).allSatisfy { abs(Int($0) - Int($1)) <= 256 })
    }

    /// telephone-event and unknown payload types are skipped and counted, not decoded as audio.
    @Test func otherPayloadTypesAreSkippedAndCounted() throws {
        var packets = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 1)
        for index in 0..<5 { packets[index].payloadType = Fixtures.telephoneEvent }
        packets[10].payloadType = 99
        let audio = try RecordingExporter.render(
            metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav)
        #expect(audio.pbx.skipped == 6)
        #expect(audio.pbx.decoded == 44)
    }

    /// A recording longer than the limit is refused before its buffers are allocated.
    @Test func tooLongIsRefused() throws {
        let packets = Fixtures.pcmuPackets(leg: .pbx, hertz: 440, seconds: 2)
        #expect(throws: ExportError.self) {
            try RecordingExporter.render(
                metadata: metadata, entries: packets.map { .packet($0) }, cut: false, format: .wav,
                limits: ExportLimits(maximumSeconds: 1))
        }
        // An arrival time at the end of the clock's range is clamped, then refused (never an overflow).
        var last = packets[packets.count - 1]
        last.arrival = UInt64.max
        #expect(throws: ExportError.self) {
            try RecordingExporter.render(
                metadata: metadata, entries: (packets + [last]).map { .packet($0) }, cut: false, format: .wav)
        }
        let late = [RecordingEntry.event(RecordedEvent(kind: .stopped, at: 3_600_000_000_000))]
        #expect(throws: ExportError.self) {
            try RecordingExporter.render(
                metadata: metadata, entries: late, cut: false, format: .wav, limits: ExportLimits(maximumSeconds: 60))
        }
    }
}
