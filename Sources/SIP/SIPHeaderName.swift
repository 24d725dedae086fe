/// Header names: case-insensitive comparison and the compact forms (RFC 3261 §7.3.3, §20; and the later
/// RFCs that registered a compact form in the IANA SIP header field registry).
public enum SIPHeaderName {
    /// Each compact form and the full name it stands for, lower-cased.
    public static let compactForms: [Character: String] = [
        "a": "accept-contact",  // RFC 3841
        "b": "referred-by",  // RFC 3892
        "c": "content-type",
        "d": "request-disposition",  // RFC 3841
        "e": "content-encoding",
        "f": "from",
        "i": "call-id",
        "j": "reject-contact",  // RFC 3841
        "k": "supported",
        "l": "content-length",
        "m": "contact",
        "n": "identity-info",  // RFC 4474
        "o": "event",  // RFC 6665
        "r": "refer-to",  // RFC 3515
        "s": "subject",
        "t": "to",
        "u": "allow-events",  // RFC 6665
        "v": "via",
        "x": "session-expires",  // RFC 4028
        "y": "identity",  // RFC 8224
    ]

    /// The lower-cased full name for a name as written: `"V"` and `"via"` both give `"via"`.
    public static func canonical(_ name: String) -> String {
        let lowered = name.lowercased()
        if lowered.utf8.count == 1, let full = compactForms[lowered.first!] { return full }
        return lowered
    }
}
