import SRTP

/// What Sotto learned from one session description (an offer or an answer): per `m=` line, whether Sotto relays
/// it, where the peer wants its media, and the peer's SRTP key (docs/media-policy.md).
///
/// Made by ``SDPNegotiation/readOffer(_:allowed:)`` and ``SDPNegotiation/readAnswer(_:offered:offerPlan:)``;
/// handed back to the write functions so that what is relayed and what is written always agree.
package struct MediaPlan: Sendable, Equatable {
    /// One `m=` line of the description.
    package struct Stream: Sendable, Equatable {
        /// The `m=` line's index in the description, from 0.
        package var index: Int
        /// The media type of the `m=` line: `audio`, `video`, ...
        package var media: String
        /// Whether Sotto relays the stream: false for a port-0 stream and for one Sotto disabled.
        package var isActive: Bool
        /// The peer's media address: the stream's own `c=`, else the session's; as written, so it may be a host
        /// name. Empty for a port-0 stream without `c=`.
        package var peerAddress: String
        /// The peer's RTP port: the `m=` port.
        package var peerRTPPort: Int
        /// The peer's RTCP port: its RTP port with rtcp-mux (RFC 5761), else ``peerSeparateRTCPPort``.
        package var peerRTCPPort: Int { rtcpMux ? peerRTPPort : peerSeparateRTCPPort }
        /// Where the peer takes RTCP when it is not multiplexed: the `a=rtcp` port (RFC 3605), else RTP + 1
        /// (RFC 3550 §11).
        package var peerSeparateRTCPPort: Int
        /// The peer's RTCP address when it is not multiplexed: the `a=rtcp` address when it gives one, else
        /// ``peerAddress``.
        package var peerRTCPAddress: String
        /// Whether RTP and RTCP share a port (RFC 5761 §5.1.1). In an offer plan: the offerer offers it. In an
        /// answer plan: it was offered and the answer accepts it, so it is what both legs use.
        package var rtcpMux: Bool
        /// The tag of the `a=crypto` line chosen from an offer, or of the one an answer gave.
        package var cryptoTag: Int?
        /// The peer's key from that line: what Sotto decrypts the peer's packets with. Nil when inactive.
        package var key: SRTPKeyMaterial?
        /// The RTP clock rate of the first format: its `a=rtpmap`, else the static payload type's rate
        /// (RFC 3551 §6), else 8000.
        package var clockRate: UInt32
        /// Why Sotto disabled the stream, a sentence fit for a log; nil for a stream that is active or that the
        /// peer itself disabled with port 0.
        package var disabledReason: String?

        /// A stream; `peerSeparateRTCPPort` defaults to RTP + 1 and `peerRTCPAddress` to `peerAddress`.
        package init(
            index: Int, media: String, isActive: Bool, peerAddress: String, peerRTPPort: Int,
            peerSeparateRTCPPort: Int? = nil, peerRTCPAddress: String? = nil, rtcpMux: Bool,
            cryptoTag: Int?, key: SRTPKeyMaterial?, clockRate: UInt32, disabledReason: String? = nil
        ) {
            self.index = index
            self.media = media
            self.isActive = isActive
            self.peerAddress = peerAddress
            self.peerRTPPort = peerRTPPort
            self.peerSeparateRTCPPort = peerSeparateRTCPPort ?? (peerRTPPort == 0 ? 0 : peerRTPPort + 1)
            self.peerRTCPAddress = peerRTCPAddress ?? peerAddress
            self.rtcpMux = rtcpMux
            self.cryptoTag = cryptoTag
            self.key = key
            self.clockRate = clockRate
            self.disabledReason = disabledReason
        }

        /// The peer's RTCP port once the answer has settled rtcp-mux: its RTP port when `muxAgreed`, else
        /// ``peerSeparateRTCPPort``. For an offer plan, pass the answer plan's ``rtcpMux``.
        package func rtcpPort(muxAgreed: Bool) -> Int { muxAgreed ? peerRTPPort : peerSeparateRTCPPort }
    }

    /// The streams, one per `m=` line, in order.
    package var streams: [Stream]

    /// A plan from its streams.
    package init(streams: [Stream]) { self.streams = streams }

    /// The streams Sotto relays.
    package var activeStreams: [Stream] { streams.filter(\.isActive) }
}

/// The relay's local ports for one stream on the leg an SDP is written toward, indexed like
/// ``MediaPlan/streams``.
package struct RelayPorts: Sendable, Equatable {
    /// The RTP port written into the `m=` line.
    package var rtp: Int
    /// The RTCP port written as `a=rtcp` (RFC 3605); nil writes no `a=rtcp`, so the peer uses rtcp-mux when it is
    /// agreed and RTP + 1 when it is not.
    package var rtcp: Int?

    /// Ports for one stream.
    package init(rtp: Int, rtcp: Int? = nil) {
        self.rtp = rtp
        self.rtcp = rtcp
    }
}
