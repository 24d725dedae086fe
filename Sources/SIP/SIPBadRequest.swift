/// Builds the answer to a request that could be framed but not parsed (RFC 3261 §8.2, §21.4.1; docs/architecture.md,
/// rule 4): a `400` whose reason phrase says what is wrong, with the Via, From, To, Call-ID and CSeq headers
/// copied from the request where they could be read, so that the client can match it to its transaction.
public enum SIPBadRequest {
    /// The longest reason phrase written, in bytes.
    public static let maxReasonLength = 120

    /// `Bad Request (<what is wrong>)`, printable ASCII only and at most ``maxReasonLength`` bytes, so that
    /// nothing the peer sent can break the status line.
    public static func reasonPhrase(for error: SIPError) -> String {
        let prefix = error.code == .unsupportedVersion ? "Version Not Supported (" : "Bad Request ("
        var detail: [UInt8] = []
        for byte in error.reason.utf8 {
            guard detail.count < maxReasonLength - prefix.utf8.count - 1 else { break }
            detail.append(byte >= 0x20 && byte < 0x7F ? byte : UInt8(ascii: "?"))
        }
        return prefix + String(decoding: detail, as: UTF8.self) + ")"
    }

    /// The response to `request`, which failed to parse with `error`; nil when no response may be sent: the bytes
    /// are a response, or an ACK (RFC 3261 §17.2.1: an ACK is never answered). The status is 505 for a SIP
    /// version other than 2.0 (RFC 3261 §21.5.7), else 400. `toTag` is added to To when it has no tag
    /// (RFC 3261 §8.2.6.2); characters a token cannot hold are dropped from it.
    public static func response(to request: [UInt8], error: SIPError, toTag: String) -> [UInt8]? {
        request.withUnsafeBufferPointer { bytes in build(bytes, error: error, toTag: toTag) }
    }

    private static func build(_ bytes: UnsafeBufferPointer<UInt8>, error: SIPError, toTag: String) -> [UInt8]? {
        let firstLineEnd = SIPLenientHeaders.lineEnd(bytes, from: 0, limit: bytes.count)
        let firstLine = UnsafeBufferPointer(rebasing: bytes[0..<firstLineEnd])
        if firstLine.count >= 4, SIPGrammar.equalsIgnoringCase(UnsafeBufferPointer(rebasing: firstLine[0..<4]), "SIP/")
        {
            return nil
        }
        var methodEnd = 0
        while methodEnd < firstLine.count, SIPGrammar.isToken(firstLine[methodEnd]) { methodEnd += 1 }
        if SIPMethod(String(decoding: firstLine[0..<methodEnd], as: UTF8.self)) == .ack { return nil }

        var sectionEnd = bytes.count
        var index = 0
        while index + 3 < bytes.count {
            if bytes[index] == SIPGrammar.cr, bytes[index + 1] == SIPGrammar.lf, bytes[index + 2] == SIPGrammar.cr,
                bytes[index + 3] == SIPGrammar.lf
            {
                sectionEnd = index + 2
                break
            }
            index += 1
        }
        var vias: [String] = []
        var copied: [String: String] = [:]
        let section = min(firstLineEnd + 2, sectionEnd)..<sectionEnd
        // The visitor never throws.
        try? SIPLenientHeaders.forEach(bytes, in: section) { name, value in
            guard let text = safeValue(bytes, value) else { return }
            let key = SIPHeaderName.canonical(String(decoding: bytes[name], as: UTF8.self))
            switch key {
            case "via": vias.append(text)
            case "from", "to", "call-id", "cseq": if copied[key] == nil { copied[key] = text }
            default: break
            }
        }

        let status = error.code == .unsupportedVersion ? 505 : 400
        var text = "SIP/2.0 \(status) \(reasonPhrase(for: error))\r\n"
        for via in vias { text += "Via: \(via)\r\n" }
        if let from = copied["from"] { text += "From: \(from)\r\n" }
        if var to = copied["to"] {
            let tag = String(decoding: toTag.utf8.filter(SIPGrammar.isToken), as: UTF8.self)
            if !hasTag(to), !tag.isEmpty { to += ";tag=\(tag)" }
            text += "To: \(to)\r\n"
        }
        if let callID = copied["call-id"] { text += "Call-ID: \(callID)\r\n" }
        if let cseq = copied["cseq"] { text += "CSeq: \(cseq)\r\n" }
        text += "Content-Length: 0\r\n\r\n"
        return Array(text.utf8)
    }

    /// The value unfolded and trimmed, if it is UTF-8 without control characters; else nil (not copied).
    private static func safeValue(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        var out: [UInt8] = []
        var index = range.lowerBound
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == SIPGrammar.cr, index + 2 < range.upperBound, bytes[index + 1] == SIPGrammar.lf,
                SIPGrammar.isWSP(bytes[index + 2])
            {
                out.append(SIPGrammar.space)
                index += 2
                continue
            }
            guard byte >= 0x20 || byte == SIPGrammar.tab, byte != 0x7F else { return nil }
            out.append(byte)
            index += 1
        }
        while let last = out.last, SIPGrammar.isWSP(last) { out.removeLast() }
        let leading = out.prefix { SIPGrammar.isWSP($0) }.count
        guard leading < out.count else { return nil }
        return String(validating: out[leading...], as: UTF8.self)
    }

    /// Whether a To value, read loosely, already has a tag parameter (outside its angle brackets).
    private static func hasTag(_ to: String) -> Bool {
        let afterAddress = to.lastIndex(of: ">").map { to[$0...] } ?? to[...]
        return String(afterAddress.lowercased().filter { $0 != " " && $0 != "\t" }).contains(";tag=")
    }
}
