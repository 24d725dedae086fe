import SIP

/// Bodies of final error responses (docs/media-policy.md, "Error responses carry no SDP").
extension SDPNegotiation {
    /// The methods whose responses can carry an offer or an answer (RFC 3261 §13.2.1, RFC 3262, RFC 3311).
    static let offerAnswerMethods: Set<SIPMethod> = [.invite, .update, .prack]

    /// Removes the body of a 3xx-6xx response to an INVITE, UPDATE or PRACK, whatever its type.
    ///
    /// An error response ends the offer/answer exchange without an answer (RFC 3264 §8, RFC 3311 §5.2), so its
    /// SDP is nothing Sotto could honour or check: a 488 or 606 may list the PBX's capabilities with its
    /// addresses and keys (RFC 3261 §21.4.26), and a multipart body could hide one. Security: forwarded
    /// untouched, it would carry a peer's key and address to the other side (docs/architecture.md, rule 2).
    static func stripErrorResponseBody(_ response: inout SIPMessage, status: Int, method: SIPMethod) {
        guard status >= 300, offerAnswerMethods.contains(method), !response.body.isEmpty else { return }
        try? response.replaceBody([])
    }
}
