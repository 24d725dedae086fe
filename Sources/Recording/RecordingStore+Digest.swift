import Crypto

extension RecordingStore {
    /// The SHA-256 of the whole of `name` (lower-case hex) and its size, read in 1 MiB pieces: what the index
    /// records for a finished or recovered recording.
    public func sha256(of name: String) throws(RecordingStoreError) -> (hex: String, size: Int) {
        var hasher = SHA256()
        var offset = 0
        while true {
            let piece = try read(name, offset: offset, length: 1 << 20)
            if piece.isEmpty { break }
            hasher.update(data: piece)
            offset += piece.count
        }
        let hex = hasher.finalize().map { byte in
            let digits = Array("0123456789abcdef".utf8)
            return String(decoding: [digits[Int(byte >> 4)], digits[Int(byte & 15)]], as: UTF8.self)
        }.joined()
        return (hex, offset)
    }
}
