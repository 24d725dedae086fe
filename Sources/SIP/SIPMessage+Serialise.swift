extension SIPMessage {
    /// The message on the wire: start line, each header as written (or `Name: value` for a header made or edited
    /// in memory), an empty line, the body (RFC 3261 §7). A parsed, unchanged message gives back its exact bytes.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(serializedSizeEstimate)
        appendLine(startLine.description, to: &out)
        for header in headers {
            if let raw = header.raw {
                appendLine(raw, to: &out)
            } else {
                out.append(contentsOf: header.name.utf8)
                out.append(SIPGrammar.colon)
                out.append(SIPGrammar.space)
                appendLine(header.value, to: &out)
            }
        }
        out.append(SIPGrammar.cr)
        out.append(SIPGrammar.lf)
        out.append(contentsOf: body)
        return out
    }

    private var serializedSizeEstimate: Int {
        var size = 64 + body.count
        for header in headers { size += header.name.utf8.count + header.value.utf8.count + 4 }
        return size
    }

    private func appendLine(_ text: String, to out: inout [UInt8]) {
        out.append(contentsOf: text.utf8)
        out.append(SIPGrammar.cr)
        out.append(SIPGrammar.lf)
    }
}
