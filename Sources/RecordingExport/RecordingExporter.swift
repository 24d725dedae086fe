import Recording

/// Turns a recording's plaintext (what the container reader returns) into an audio file: each leg decoded and
/// placed in time (`LegTimeline`), paused and masked spans silent and listed as markers, the PBX leg on the
/// left channel and the softphone leg on the right, then WAV or Ogg Opus.
public enum RecordingExporter {
    /// Renders a recording.
    ///
    /// - Parameters:
    ///   - metadata: the recording's metadata (its codecs say what each payload type is).
    ///   - entries: the packets and events, in the order they were captured.
    ///   - cut: whether the container was cut (no final chunk): written into the file and the result.
    ///   - format: Ogg Opus (always 48 kHz) or WAV (8 kHz when both legs are G.711 only, else 48 kHz).
    ///   - limits: bounds checked before any audio buffer is allocated.
    public static func render(
        metadata: RecordingMetadata, entries: [RecordingEntry], cut: Bool, format: ExportFormat,
        limits: ExportLimits = ExportLimits()
    ) throws -> ExportedAudio {
        var pbxPackets: [RecordedPacket] = []
        var softphonePackets: [RecordedPacket] = []
        var events: [RecordedEvent] = []
        for entry in entries {
            switch entry {
            case .packet(let packet) where packet.leg == .pbx: pbxPackets.append(packet)
            case .packet(let packet): softphonePackets.append(packet)
            case .event(let event): events.append(event)
            }
        }
        var pbx = LegTimeline(packets: pbxPackets, metadata: metadata)
        var softphone = LegTimeline(packets: softphonePackets, metadata: metadata)
        let lastEvent = events.map(\.at).max() ?? 0
        // Refuse before allocating: the bound comes from the relay's arrival times (a frame is never placed
        // more than the re-anchoring tolerance away from when it arrived) and the events' times.
        let boundSeconds = max(
            Double(pbx.extent) / Double(pbx.rate), Double(softphone.extent) / Double(softphone.rate),
            Double(lastEvent) / 1e9)
        guard boundSeconds <= limits.maximumSeconds else {
            throw ExportError.tooLong(seconds: boundSeconds, limit: limits.maximumSeconds)
        }
        let boundNanoseconds = UInt64(boundSeconds * 1e9) + 1
        let spans = markerSpans(events, closingAt: boundNanoseconds)
        let quietSpans = spans.filter { $0.kind != .stopped }
        func quiet(at rate: Int) -> [Range<Int64>] {
            quietSpans.map { samples($0.start, rate)..<samples($0.end, rate) }
        }
        try pbx.render(length: Int(max(pbx.extent, 0)), quiet: quiet(at: pbx.rate))
        try softphone.render(length: Int(max(softphone.extent, 0)), quiet: quiet(at: softphone.rate))
        let duration = max(
            Double(pbx.audioEnd) / Double(pbx.rate), Double(softphone.audioEnd) / Double(softphone.rate),
            Double(lastEvent) / 1e9)
        let markers = spans.map { span in
            ExportMarker(kind: span.kind, start: Double(span.start) / 1e9, end: min(Double(span.end) / 1e9, duration))
        }
        let rate = format == .wav && pbx.rate == 8000 && softphone.rate == 8000 ? 8000 : 48000
        let frames = Int((duration * Double(rate)).rounded(.up))
        var interleaved = [Int16](repeating: 0, count: frames * 2)
        fill(&interleaved, channel: 0, from: pbx.samples, at: pbx.rate, to: rate)
        fill(&interleaved, channel: 1, from: softphone.samples, at: softphone.rate, to: rate)
        var comments = [("SOTTO_RECORDING_ID", metadata.id)]
        if cut { comments.append(("SOTTO_CUT", "yes")) }
        comments += markers.map { ("SOTTO_MARKER", $0.text) }
        let bytes: [UInt8]
        switch format {
        case .ogg:
            bytes = try OggOpusWriter.encode(interleaved: interleaved, comments: comments)
        case .wav:
            let text = comments.map { "\($0.0)=\($0.1)" }.joined(separator: "\n")
            bytes = try WAVWriter.write(interleaved: interleaved, sampleRate: rate, comment: text)
        }
        return ExportedAudio(
            bytes: bytes, format: format, sampleRate: rate, durationSeconds: Double(frames) / Double(rate),
            markers: markers, cut: cut, pbx: pbx.counts, softphone: softphone.counts)
    }

    /// A marker's span in nanoseconds from the recording's start.
    struct Span {
        var kind: ExportMarker.Kind
        var start: UInt64
        var end: UInt64
    }

    /// Paused/resumed and mask started/ended pairs as spans (one still open at `stopped` or at the end closes
    /// there; a repeated start is ignored), and each stop as a point.
    static func markerSpans(_ events: [RecordedEvent], closingAt end: UInt64) -> [Span] {
        var spans: [Span] = []
        var paused: UInt64?
        var masked: UInt64?
        for event in events {
            switch event.kind {
            case .paused: paused = paused ?? event.at
            case .resumed:
                if let start = paused { spans.append(Span(kind: .paused, start: start, end: max(start, event.at))) }
                paused = nil
            case .maskStarted: masked = masked ?? event.at
            case .maskEnded:
                if let start = masked { spans.append(Span(kind: .masked, start: start, end: max(start, event.at))) }
                masked = nil
            case .stopped:
                if let start = paused { spans.append(Span(kind: .paused, start: start, end: max(start, event.at))) }
                if let start = masked { spans.append(Span(kind: .masked, start: start, end: max(start, event.at))) }
                paused = nil
                masked = nil
                spans.append(Span(kind: .stopped, start: event.at, end: event.at))
            }
        }
        if let start = paused { spans.append(Span(kind: .paused, start: start, end: max(start, end))) }
        if let start = masked { spans.append(Span(kind: .masked, start: start, end: max(start, end))) }
        return spans.sorted { ($0.start, $0.end) < ($1.start, $1.end) }
    }

    private static func samples(_ nanoseconds: UInt64, _ rate: Int) -> Int64 {
        Int64(nanoseconds / 1000) * Int64(rate) / 1_000_000
    }

    /// One channel of the interleaved output from a leg: the leg's own samples, or 8 kHz to 48 kHz by linear
    /// interpolation (five points on the line between neighbouring samples; no further anti-imaging filter: a
    /// telephone leg has nothing above 4 kHz, and linear interpolation already damps the images).
    private static func fill(
        _ interleaved: inout [Int16], channel: Int, from samples: [Int16], at legRate: Int, to rate: Int
    ) {
        let frames = interleaved.count / 2
        let factor = rate / legRate
        samples.withUnsafeBufferPointer { input in
            interleaved.withUnsafeMutableBufferPointer { output in
                for frame in 0..<min(frames, input.count * factor) {
                    let base = frame / factor
                    let a = Int32(input[base])
                    let b = base + 1 < input.count ? Int32(input[base + 1]) : a
                    output[2 * frame + channel] = Int16(a + (b - a) * Int32(frame % factor) / Int32(factor))
                }
            }
        }
    }
}
