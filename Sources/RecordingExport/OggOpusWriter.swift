internal import COpusEnc

/// Ogg Opus (RFC 7845) through libopusenc, written to memory through its callbacks: 48 kHz stereo, with
/// Vorbis comments (`SOTTO_RECORDING_ID`, `SOTTO_CUT=yes` when cut, one `SOTTO_MARKER` per marker).
/// libopusenc sets the pre-skip and the final granule position, so players get the exact length.
enum OggOpusWriter {
    /// Collects what libopusenc writes.
    private final class Sink {
        var bytes: [UInt8] = []
    }

    static func encode(interleaved: [Int16], comments: [(String, String)]) throws -> [UInt8] {
        guard let tags = ope_comments_create() else { throw ExportError.opus("creating Ogg comments", code: -1) }
        defer { ope_comments_destroy(tags) }
        for (tag, value) in comments {
            let result = ope_comments_add(tags, tag, value)
            guard result == OPE_OK else { throw ExportError.opus("adding the comment \(tag)", code: result) }
        }
        let sink = Sink()
        var callbacks = OpusEncCallbacks(
            write: { user, data, length in
                guard let user, let data else { return 1 }
                let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
                sink.bytes.append(contentsOf: UnsafeBufferPointer(start: data, count: Int(length)))
                return 0
            },
            close: { _ in 0 })
        var error: Int32 = 0
        let user = Unmanaged.passUnretained(sink).toOpaque()
        guard let encoder = ope_encoder_create_callbacks(&callbacks, user, tags, 48000, 2, 0, &error), error == OPE_OK
        else { throw ExportError.opus("creating the Ogg Opus encoder", code: error) }
        defer { ope_encoder_destroy(encoder) }
        let block = 48000  // frames per write
        let frames = interleaved.count / 2
        try interleaved.withUnsafeBufferPointer { pcm in
            var start = 0
            while start < frames {
                let count = min(block, frames - start)
                let result = ope_encoder_write(encoder, pcm.baseAddress! + 2 * start, Int32(count))
                guard result == OPE_OK else { throw ExportError.opus("encoding audio", code: result) }
                start += count
            }
        }
        let result = ope_encoder_drain(encoder)
        guard result == OPE_OK else { throw ExportError.opus("finishing the Ogg Opus file", code: result) }
        return withExtendedLifetime(sink) { sink.bytes }
    }
}
