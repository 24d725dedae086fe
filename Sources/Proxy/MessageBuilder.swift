import SIP

/// Messages Sotto writes itself: responses to requests it answers locally, and the ACK, CANCEL and BYE
/// it sends to end a call. Reason phrases and Warning texts are Sotto's own constants or sanitised, so
/// nothing a peer sent can break a start line.
enum MessageBuilder {
    /// A response to `request` (RFC 3261 §8.2.6): Via, From, To (with `toTag` added when To has none and the
    /// status is above 100), Call-ID and CSeq copied, then `extra`, then an empty body.
    static func response(
        to request: SIPMessage, status: Int, reason: String, toTag: String, product: String,
        extra: [SIPHeader] = []
    ) -> [UInt8] {
        var headers: [SIPHeader] = []
        for header in request.headers {
            switch header.canonicalName {
            case "via", "from", "call-id", "cseq":
                headers.append(header)
            case "to":
                if status > 100 && request.to.tag == nil {
                    headers.append(SIPHeader(name: header.name, value: header.value + ";tag=" + toTag))
                } else {
                    headers.append(header)
                }
            default:
                break
            }
        }
        headers += extra
        headers.append(SIPHeader(name: "Server", value: product))
        headers.append(SIPHeader(name: "Content-Length", value: "0"))
        return serialise(status: status, reason: reason, headers: headers)
    }

    /// `Warning: 399 host "text"` (RFC 3261 §20.43) with the text made safe for a quoted string.
    static func warning(host: String, text: String) -> SIPHeader {
        var safe = ""
        for scalar in text.unicodeScalars.prefix(200) {
            if scalar == "\"" || scalar == "\\" {
                safe += "'"
            } else if scalar.value < 0x20 || scalar.value == 0x7F {
                safe += " "
            } else {
                safe.unicodeScalars.append(scalar)
            }
        }
        return SIPHeader(name: "Warning", value: "399 \(host) \"\(safe)\"")
    }

    /// `Reason: SIP;cause=N;text="..."` (RFC 3326) for requests Sotto makes to end a call.
    static func reason(cause: Int, text: String) -> SIPHeader {
        SIPHeader(name: "Reason", value: "SIP;cause=\(cause);text=\"\(text)\"")
    }

    /// A request Sotto makes: `method uri`, the given Via, Max-Forwards 70, Route set, From, To, Call-ID,
    /// CSeq, extra headers, no body.
    static func request(
        method: SIPMethod, uri: SIPURI, via: SIPVia, routes: [SIPNameAddress], from: String, to: String,
        callID: String, sequence: UInt32, product: String, extra: [SIPHeader] = []
    ) -> SIPMessage? {
        var headers = [SIPHeader(name: "Via", value: via.description), SIPHeader(name: "Max-Forwards", value: "70")]
        headers += routes.map { SIPHeader(name: "Route", value: $0.description) }
        headers += [
            SIPHeader(name: "From", value: from), SIPHeader(name: "To", value: to),
            SIPHeader(name: "Call-ID", value: callID),
            SIPHeader(name: "CSeq", value: "\(sequence) \(method)"),
        ]
        headers += extra
        headers += [SIPHeader(name: "User-Agent", value: product), SIPHeader(name: "Content-Length", value: "0")]
        return try? SIPMessage(startLine: .request(SIPRequestLine(method: method, uri: uri)), headers: headers)
    }

    private static func serialise(status: Int, reason: String, headers: [SIPHeader]) -> [UInt8] {
        var text = "SIP/2.0 \(status) \(reason)\r\n"
        for header in headers { text += header.description + "\r\n" }
        text += "\r\n"
        return Array(text.utf8)
    }
}
