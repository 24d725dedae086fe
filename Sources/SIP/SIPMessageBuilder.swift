/// Messages a SIP element writes itself rather than forwards: responses it answers with, and the requests it
/// makes (an ACK, a CANCEL, a BYE to end a call; a load generator's REGISTER and INVITE). One builder for the
/// relay and the load generator, so a response is made the same way wherever it is made.
///
/// Reason phrases and header values come from the caller; ``warning(host:text:)`` makes free text safe for a
/// quoted string, so nothing a peer sent can break a start line or a header.
public enum SIPMessageBuilder {
    /// A response to `request` (RFC 3261 §8.2.6): its Via, From, To, Call-ID and CSeq copied in the request's
    /// order, with `toTag` added to To when To has none and the status is above 100; with `recordRoute`, its
    /// Record-Route too (a user agent's response that makes a dialog, §12.1.1); then `extra`; then
    /// `Server: server` when given; then the body (with `Content-Type: contentType` when there is one) and
    /// Content-Length.
    public static func response(
        to request: SIPMessage, status: Int, reason: String, toTag: String?, recordRoute: Bool = false,
        extra: [SIPHeader] = [], server: String? = nil, body: [UInt8] = [], contentType: String = "application/sdp"
    ) -> [UInt8] {
        var headers: [SIPHeader] = []
        for header in request.headers {
            switch header.canonicalName {
            case "via", "from", "call-id", "cseq":
                headers.append(header)
            case "record-route" where recordRoute:
                headers.append(header)
            case "to":
                if let toTag, status > 100 && request.to.tag == nil {
                    headers.append(SIPHeader(name: header.name, value: header.value + ";tag=" + toTag))
                } else {
                    headers.append(header)
                }
            default:
                break
            }
        }
        headers += extra
        if let server { headers.append(SIPHeader(name: "Server", value: server)) }
        return serialise(
            startLine: "SIP/2.0 \(status) \(reason)", headers: headers, body: body, contentType: contentType)
    }

    /// A request: `method uri SIP/2.0`, `headers` in order, then the body (with `Content-Type: contentType`
    /// when there is one) and Content-Length.
    public static func request(
        _ method: SIPMethod, uri: String, headers: [SIPHeader], body: [UInt8] = [],
        contentType: String = "application/sdp"
    ) -> [UInt8] {
        serialise(startLine: "\(method) \(uri) SIP/2.0", headers: headers, body: body, contentType: contentType)
    }

    /// A request an element makes about a dialog or a transaction of its own (an ACK, a CANCEL, a BYE):
    /// `method uri`, the given Via, Max-Forwards 70, the route set, From, To, Call-ID, CSeq, `extra`,
    /// `User-Agent: userAgent`, no body. Nil when a value would make an invalid message.
    public static func request(
        method: SIPMethod, uri: SIPURI, via: SIPVia, routes: [SIPNameAddress], from: String, to: String,
        callID: String, sequence: UInt32, userAgent: String, extra: [SIPHeader] = []
    ) -> SIPMessage? {
        var headers = [SIPHeader(name: "Via", value: via.description), SIPHeader(name: "Max-Forwards", value: "70")]
        headers += routes.map { SIPHeader(name: "Route", value: $0.description) }
        headers += [
            SIPHeader(name: "From", value: from), SIPHeader(name: "To", value: to),
            SIPHeader(name: "Call-ID", value: callID),
            SIPHeader(name: "CSeq", value: "\(sequence) \(method)"),
        ]
        headers += extra
        headers += [SIPHeader(name: "User-Agent", value: userAgent), SIPHeader(name: "Content-Length", value: "0")]
        return try? SIPMessage(startLine: .request(SIPRequestLine(method: method, uri: uri)), headers: headers)
    }

    /// `Warning: 399 host "text"` (RFC 3261 §20.43) with the text made safe for a quoted string: quotes and
    /// backslashes become `'`, control characters spaces, and it is cut at 200 characters.
    public static func warning(host: String, text: String) -> SIPHeader {
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

    /// `Reason: SIP;cause=N;text="..."` (RFC 3326), for a request that ends a call.
    public static func reason(cause: Int, text: String) -> SIPHeader {
        SIPHeader(name: "Reason", value: "SIP;cause=\(cause);text=\"\(text)\"")
    }

    private static func serialise(startLine: String, headers: [SIPHeader], body: [UInt8], contentType: String)
        -> [UInt8]
    {
        var text = startLine + "\r\n"
        for header in headers { text += header.description + "\r\n" }
        if !body.isEmpty { text += "Content-Type: \(contentType)\r\n" }
        text += "Content-Length: \(body.count)\r\n\r\n"
        return Array(text.utf8) + body
    }
}
