public import SRTP

/// How the proxy behaves: who it is on the wire, which SRTP suites it accepts, and its timers.
public struct ProxyConfiguration: Sendable {
    /// The host Sotto writes into Via, Record-Route and Path, and recognises in Route and Request-URIs.
    public var host: String
    /// The TLS port that goes with ``host``.
    public var port: Int
    /// The SRTP suites Sotto accepts and offers, in preference order.
    public var suites: [SRTPProfile]
    /// The address written into SDP for media (c= lines).
    public var mediaAddress: String
    /// RFC 3261 T1 (round-trip estimate); Timers B, F, H and the RFC 6026 timers are 64 × T1.
    public var t1Nanoseconds: UInt64 = 500_000_000
    /// RFC 3261 §16.8 Timer C: how long an INVITE may go without a final response (more than 3 minutes).
    public var timerCNanoseconds: UInt64 = 181_000_000_000
    /// Calls at once (0: no limit other than the media port pool).
    public var maxCalls: Int = 0
    /// What one phone, one address or everyone together may make the proxy hold.
    public var limits = ProxyLimits()
    /// `sip.dialogs_bound_to_connection`: a softphone's in-dialog request, or an INVITE with `Replaces` or
    /// `Join`, for a call that another softphone connection owns is refused with `403`.
    public var dialogsBoundToConnection = true
    /// `sip.client_identity`: whether a softphone's certificate must name the identity it registers and
    /// calls as.
    public var identityBinding = IdentityBinding.none
    /// The `Server`/`User-Agent` product token on messages Sotto makes itself.
    public var product: String = "Sotto"
    /// `media.allowed_peer_networks`: CIDR networks a peer's SDP media address must lie in; empty: any address
    /// outside the kinds Sotto refuses (docs/media-policy.md, "Peer addresses").
    public var allowedPeerNetworks: [String] = []
    /// `media.ports`: Sotto's media ports; on Sotto's own address a peer may name only these (nil: not checked).
    public var mediaPorts: ClosedRange<Int>?
    /// `sip.forward_softphone_identity`: pass P-Asserted-Identity, P-Preferred-Identity and Remote-Party-ID from
    /// softphones on to the PBX (false: they are removed, RFC 3325 §5; docs/proxy.md, "Who may be whom").
    public var forwardSoftphoneIdentity = false
    /// Recording (`[recording]`): told of every call, and asked whether one may go on; nil when recording is off.
    public var recorder: (any CallRecorder)?

    /// A configuration with the defaults above.
    public init(host: String, port: Int, suites: [SRTPProfile], mediaAddress: String) {
        self.host = host
        self.port = port
        self.suites = suites
        self.mediaAddress = mediaAddress
    }

    /// The peer address rule made from the values above (a few `inet_pton` calls, once per offer or answer).
    var peerPolicy: SDPNegotiation.PeerPolicy {
        SDPNegotiation.PeerPolicy(
            mediaAddress: mediaAddress, host: host, ownPorts: mediaPorts, allowedNetworks: allowedPeerNetworks)
    }

    /// 64 × T1: Timers B, F, H, L and M.
    var transactionTimeout: UInt64 { 64 &* t1Nanoseconds }
}
