import Recording

/// One leg's audio, decoded and put in place: PCM at the leg's rate (8 kHz when every decodable packet of the
/// leg is G.711, else 48 kHz), sample 0 being the recording's start.
///
/// Placement (docs/recording.md, "Export"): packets are grouped by SSRC; within a group the 32-bit RTP
/// timestamp is unwrapped (each step taken as the signed 32-bit difference from the previous packet in arrival
/// order), and each frame sits at its anchor's arrival time plus its timestamp distance from the anchor. The
/// first packet of a group is an anchor, and so is any packet whose timestamp-predicted time is more than
/// `reanchorNanoseconds` from its arrival (a new talkspurt after a timestamp jump, a restarted sender). So a
/// timestamp from the network can never place audio far from when the relay actually received it. Frames are
/// decoded in timestamp order (reordering undone); a timestamp repeated within a group is a duplicate.
struct LegTimeline {
    /// Gaps up to this long are concealed; longer ones are silence.
    static let concealNanoseconds: UInt64 = 100_000_000
    /// A packet whose predicted time is further than this from its arrival starts a new anchor.
    static let reanchorNanoseconds: Int64 = 500_000_000
    /// Arrival times are clamped here before any arithmetic.
    static let maximumArrival: UInt64 = 1 << 52

    enum Codec {
        case pcmu, pcma, opus

        var clockRate: Int64 { self == .opus ? 48000 : 8000 }
    }

    /// A decodable packet with its place.
    struct Frame {
        var ssrc: UInt32
        var codec: Codec
        var extendedTimestamp: Int64
        /// The first sample, at the leg's rate, from the recording's start (may be slightly negative).
        var position: Int64
        var payload: [UInt8]
    }

    let rate: Int
    private(set) var frames: [Frame] = []
    private(set) var counts = ExportedLegCounts()
    /// One past the last sample any frame may write (a bound: Opus frames are taken at their 120 ms maximum).
    private(set) var extent: Int64 = 0
    private(set) var samples: [Int16] = []
    /// One past the last sample written (decoded or concealed), after `render`.
    private(set) var audioEnd: Int64 = 0

    /// Sorts out `packets` (one leg's, in arrival order): what is decodable, where each frame goes.
    init(packets: [RecordedPacket], metadata: RecordingMetadata) {
        var decodable: [(RecordedPacket, Codec)] = []
        var counts = ExportedLegCounts()
        for packet in packets {
            if let codec = Self.codec(of: packet, in: metadata) {
                decodable.append((packet, codec))
            } else {
                counts.skipped += 1
            }
        }
        let rate = decodable.allSatisfy { $0.1 != .opus } ? 8000 : 48000
        self.rate = rate
        struct Anchor {
            var lastTimestamp: UInt32
            var lastExtended: Int64
            var anchorExtended: Int64
            var anchorArrival: Int64
        }
        var anchors: [UInt32: Anchor] = [:]
        var extent: Int64 = 0
        for (packet, codec) in decodable {
            // Bounded so the arithmetic below cannot overflow (2^52 ns is 52 days; the length limit refuses
            // anything near it).
            let arrival = Int64(min(packet.arrival, Self.maximumArrival))
            var anchor: Anchor
            if var known = anchors[packet.ssrc] {
                known.lastExtended += Int64(Int32(bitPattern: packet.timestamp &- known.lastTimestamp))
                known.lastTimestamp = packet.timestamp
                let predicted =
                    known.anchorArrival + (known.lastExtended - known.anchorExtended) * 1_000_000 / codec.clockRate
                    * 1000
                if abs(predicted - arrival) > Self.reanchorNanoseconds {
                    known.anchorExtended = known.lastExtended
                    known.anchorArrival = arrival
                }
                anchor = known
            } else {
                anchor = Anchor(
                    lastTimestamp: packet.timestamp, lastExtended: 0, anchorExtended: 0, anchorArrival: arrival)
            }
            anchors[packet.ssrc] = anchor
            let position =
                anchor.anchorArrival / 1000 * Int64(rate) / 1_000_000 + (anchor.lastExtended - anchor.anchorExtended)
                * Int64(rate) / codec.clockRate
            frames.append(
                Frame(
                    ssrc: packet.ssrc, codec: codec, extendedTimestamp: anchor.lastExtended, position: position,
                    payload: packet.payload))
            let length =
                codec == .opus ? Int64(OpusFrameDecoder.maximumFrame) : Int64(packet.payload.count * rate / 8000)
            extent = max(extent, position + length)
        }
        self.extent = extent
        self.counts = counts
    }

    /// The codec of a packet from the stream's negotiated codecs (PCMU and PCMA also by their static payload
    /// types 0 and 8); nil for anything export does not decode.
    static func codec(of packet: RecordedPacket, in metadata: RecordingMetadata) -> Codec? {
        let stream = Int(packet.stream)
        let negotiated =
            stream < metadata.codecs.count
            ? metadata.codecs[stream].first { $0.payloadType == packet.payloadType } : nil
        if let negotiated {
            switch negotiated.name.lowercased() {
            case "pcmu" where negotiated.clockRate == 8000: return .pcmu
            case "pcma" where negotiated.clockRate == 8000: return .pcma
            case "opus" where negotiated.clockRate == 48000: return .opus
            default: return nil
            }
        }
        switch packet.payloadType {
        case 0: return .pcmu
        case 8: return .pcma
        default: return nil
        }
    }

    /// Decodes every frame into `samples` (`length` samples at the leg's rate), conceals short gaps, and leaves
    /// longer gaps and the `quiet` spans (sample ranges at the leg's rate: paused, masked) silent.
    mutating func render(length: Int, quiet: [Range<Int64>]) throws {
        samples = [Int16](repeating: 0, count: length)
        let concealLimit = Int64(Self.concealNanoseconds) * Int64(rate) / 1_000_000_000
        var groups: [UInt32: [Frame]] = [:]
        var order: [UInt32] = []
        for frame in frames {
            if groups[frame.ssrc] == nil { order.append(frame.ssrc) }
            groups[frame.ssrc, default: []].append(frame)
        }
        for ssrc in order {
            var group = groups[ssrc]!
            group.sort { ($0.position, $0.extendedTimestamp) < ($1.position, $1.extendedTimestamp) }
            var decoder: OpusFrameDecoder?
            var cursor: Int64?
            var lastFrame: [Int16] = []
            var lastCodec = Codec.pcmu
            var seen = Set<Int64>()
            for frame in group {
                guard seen.insert(frame.extendedTimestamp).inserted else {
                    counts.duplicates += 1
                    continue
                }
                if let cursor, frame.position > cursor {
                    let gap = cursor..<frame.position
                    let silent = gap.count > concealLimit || quiet.contains { $0.overlaps(gap) }
                    if silent || lastFrame.isEmpty {
                        counts.silentGapMilliseconds += Int(gap.count) * 1000 / rate
                    } else {
                        let filler =
                            lastCodec == .opus
                            ? decoder?.conceal(Int(gap.count)) ?? []
                            : Self.fade(repeating: lastFrame, count: Int(gap.count))
                        write(filler[...], at: gap.lowerBound)
                        counts.concealedMilliseconds += filler.count * 1000 / rate
                    }
                }
                let pcm: ArraySlice<Int16>?
                switch frame.codec {
                case .pcmu, .pcma:
                    let narrow = frame.payload.map { frame.codec == .pcmu ? G711.decodeMu($0) : G711.decodeA($0) }
                    pcm = rate == 8000 ? narrow[...] : Self.upsample(narrow)[...]
                case .opus:
                    if decoder == nil { decoder = try OpusFrameDecoder() }
                    pcm = decoder!.decode(frame.payload)
                }
                guard let pcm else {
                    counts.undecodable += 1
                    continue
                }
                counts.decoded += 1
                write(pcm, at: frame.position)
                lastFrame = Array(pcm)
                lastCodec = frame.codec
                cursor = frame.position + Int64(pcm.count)
            }
        }
        frames = []  // the payloads are decoded: free them before the mix
        for span in quiet {
            let lower = Int(clamping: max(span.lowerBound, 0))
            let upper = Int(clamping: min(span.upperBound, Int64(length)))
            if lower < upper { samples.replaceSubrange(lower..<upper, with: repeatElement(0, count: upper - lower)) }
        }
    }

    private mutating func write(_ pcm: ArraySlice<Int16>, at position: Int64) {
        var index = position
        audioEnd = max(audioEnd, min(position + Int64(pcm.count), Int64(samples.count)))
        for sample in pcm {
            if index >= 0 && index < Int64(samples.count) { samples[Int(index)] = sample }
            index += 1
        }
    }

    /// G.711 concealment: the last frame repeated, fading linearly to silence over the gap (G.711 has no
    /// decoder state to extrapolate from; a fade avoids both a hard cut and a buzzing loop).
    static func fade(repeating frame: [Int16], count: Int) -> [Int16] {
        (0..<count).map { index in
            let gain = Double(count - index) / Double(count)
            return Int16((Double(frame[index % frame.count]) * gain).rounded())
        }
    }

    /// 8 kHz to 48 kHz by linear interpolation (each input sample followed by five points on the line to the
    /// next; the frame's last sample is held).
    static func upsample(_ input: [Int16]) -> [Int16] {
        var out: [Int16] = []
        out.reserveCapacity(input.count * 6)
        for index in input.indices {
            let a = Int32(input[index])
            let b = index + 1 < input.count ? Int32(input[index + 1]) : a
            for step in 0..<6 { out.append(Int16(a + (b - a) * Int32(step) / 6)) }
        }
        return out
    }
}
