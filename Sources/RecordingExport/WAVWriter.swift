/// RIFF WAVE, 16-bit PCM, interleaved stereo, with the export's comments in a LIST/INFO `ICMT` chunk.
enum WAVWriter {
    /// The most PCM bytes one RIFF file can carry (its sizes are 32-bit).
    static let maximumDataBytes = Int(UInt32.max) - 4096

    static func write(interleaved: [Int16], sampleRate: Int, comment: String) throws -> [UInt8] {
        let dataBytes = interleaved.count * 2
        guard dataBytes <= maximumDataBytes else {
            throw ExportError.tooLong(
                seconds: Double(interleaved.count / 2) / Double(sampleRate),
                limit: Double(maximumDataBytes / 4) / Double(sampleRate))
        }
        var text = Array(comment.utf8) + [0]
        if text.count % 2 == 1 { text.append(0) }
        let listBytes = 4 + 8 + text.count
        var out: [UInt8] = []
        out.reserveCapacity(44 + 8 + listBytes + dataBytes)
        out += Array("RIFF".utf8)
        append32(UInt32(4 + (8 + 16) + (8 + listBytes) + (8 + dataBytes)), to: &out)
        out += Array("WAVEfmt ".utf8)
        append32(16, to: &out)
        append16(1, to: &out)  // PCM
        append16(2, to: &out)  // channels: PBX left, softphone right
        append32(UInt32(sampleRate), to: &out)
        append32(UInt32(sampleRate * 4), to: &out)  // bytes per second
        append16(4, to: &out)  // block align
        append16(16, to: &out)  // bits per sample
        out += Array("LIST".utf8)
        append32(UInt32(listBytes), to: &out)
        out += Array("INFOICMT".utf8)
        append32(UInt32(text.count), to: &out)
        out += text
        out += Array("data".utf8)
        append32(UInt32(dataBytes), to: &out)
        for sample in interleaved { append16(UInt16(bitPattern: sample), to: &out) }
        return out
    }

    private static func append16(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(value & 0xff))
        out.append(UInt8(value >> 8))
    }

    private static func append32(_ value: UInt32, to out: inout [UInt8]) {
        for shift in stride(from: 0, to: 32, by: 8) { out.append(UInt8((value >> UInt32(shift)) & 0xff)) }
    }
}
