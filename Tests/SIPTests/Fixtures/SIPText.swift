/// Builds message bytes from lines: each line ends in CRLF, an empty line closes the header section, then the
/// body. `@LEN@` in a line becomes the body's length in bytes.
func sip(_ lines: [String], body: String = "") -> [UInt8] {
    let bodyBytes = Array(body.utf8)
    var text = ""
    for line in lines {
        text += line.replacing("@LEN@", with: String(bodyBytes.count)) + "\r\n"
    }
    return Array((text + "\r\n").utf8) + bodyBytes
}

/// The bytes of `text` as they are, for fixtures whose line endings are the point.
func raw(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Where the ASCII `needle` first occurs in `bytes`.
func offset(of needle: String, in bytes: [UInt8]) -> Int? {
    let pattern = Array(needle.utf8)
    return bytes.indices.first { bytes[$0...].starts(with: pattern) }
}
