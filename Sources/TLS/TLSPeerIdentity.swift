/// The names in the peer's verified certificate: what a connection can claim to be.
///
/// Taken once the handshake completes, and only from a certificate that verified against the context's
/// CA (a server that asks for no client certificate, or a client that sent none, gives ``none``). Names
/// are the certificate's text as is: SAN URIs (`sip:alice@example.com`), SAN DNS names, SAN IP addresses (as
/// text), and the subject's common names. Nothing here is matched or normalised; whoever decides (the proxy) compares.
public struct TLSPeerIdentity: Sendable, Hashable, CustomStringConvertible {
    /// subjectAltName URI entries (RFC 5280 §4.2.1.6; RFC 5922 §7.1 puts SIP URIs here).
    public var uris: [String]
    /// subjectAltName DNS entries.
    public var dnsNames: [String]
    /// subjectAltName IP address entries, as text ("192.0.2.7", "2001:db8::1").
    public var ipAddresses: [String]
    /// The subject's commonName values (usually one), UTF-8.
    public var commonNames: [String]

    /// An identity with these names.
    public init(
        uris: [String] = [], dnsNames: [String] = [], ipAddresses: [String] = [], commonNames: [String] = []
    ) {
        self.uris = uris
        self.dnsNames = dnsNames
        self.ipAddresses = ipAddresses
        self.commonNames = commonNames
    }

    /// No verified certificate.
    public static let none = TLSPeerIdentity()

    /// Whether no verified certificate was presented (or it carried no name at all).
    public var isEmpty: Bool { uris.isEmpty && dnsNames.isEmpty && ipAddresses.isEmpty && commonNames.isEmpty }

    /// Every name, URIs first, then DNS names, IP addresses, common names.
    public var allNames: [String] { uris + dnsNames + ipAddresses + commonNames }

    /// For logs: `uri=sip:alice@example.com dns=... cn=...`, or `none`.
    public var description: String {
        guard !isEmpty else { return "none" }
        let parts =
            uris.map { "uri=\($0)" } + dnsNames.map { "dns=\($0)" } + ipAddresses.map { "ip=\($0)" }
            + commonNames.map { "cn=\($0)" }
        return parts.joined(separator: " ")
    }
}
