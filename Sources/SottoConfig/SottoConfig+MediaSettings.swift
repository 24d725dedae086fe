import SRTP

extension SottoConfig {
    /// `[media]`: the SRTP relay's sockets, loops and the suites it allows.
    public struct MediaSettings: Sendable, Equatable {
        /// `media.ip`: the IP address media sockets bind to (may be the any-address if
        /// ``advertisedIP`` is set).
        public var ip = "127.0.0.1"
        /// `media.advertised_ip`: the IP address written into SDP; empty means ``ip`` (see ``sdpIP``).
        public var advertisedIP = ""
        /// `media.ports`: the UDP ports media sockets use; LOW is even, so RTP gets the even port of
        /// each pair and RTCP the odd one.
        public var ports: ClosedRange<UInt16> = 30_000...39_999
        /// `media.loops`: event loops that relay media; 0 means one per CPU core.
        public var loops = 0
        /// `media.idle_timeout_s`: how long a call may carry no authenticated media before it is ended.
        public var idleTimeout: Duration = .seconds(60)
        /// `media.suites`: the SRTP suites Sotto accepts and offers, in preference order.
        public var suites: [SRTPProfile] = [.aeadAES256GCM, .aeadAES128GCM, .aes256CMHMACSHA1_80, .aesCM128HMACSHA1_80]
        /// `media.allowed_peer_networks`: CIDR networks (`10.0.0.0/8`, `2001:db8::/32`, or a single address) a
        /// peer's SDP media address must lie in; empty: any address except the any-address, loopback (unless
        /// ``sdpIP`` is loopback), multicast, broadcast, link-local and reserved ones, and Sotto's own address
        /// on a port outside ``ports``.
        public var allowedPeerNetworks: [String] = []
        /// `media.hold_timeout_s`: the idle timeout of a call whose streams are all on hold or inactive (RFC 3264).
        public var holdTimeout: Duration = .seconds(7200)
        /// `media.early_buffer_packets`: packets kept per leg that arrive before the leg's key (0: none kept).
        public var earlyBufferPackets = 8
        /// `media.early_buffer_ms`: how old a kept early packet may be when the key arrives.
        public var earlyBufferAge: Duration = .milliseconds(100)
        /// `media.unlatched_auth_budget`: per leg and second, packets from an address other than the latched one
        /// that are authenticated; the rest are dropped as `unknownSource` without crypto.
        public var unlatchedAuthBudget = 50
        /// `media.max_datagram_bytes`: longer datagrams are dropped before any work (`tooLong`).
        public var maxDatagramBytes = 1500
        /// `media.poll_tick_us`: while a loop polls its sockets (under load), how often, in microseconds.
        public var pollTickMicroseconds = 1000
        /// `media.poll_enter_wakeups_per_s`: a loop's readiness-event rate (per second, over 100 ms) at which it
        /// stops waking per event and polls on the tick instead; 0: never.
        public var pollEnterWakeupsPerSecond = 2000
        /// `media.poll_exit_pps`: the packet rate below which a polling loop goes back to readiness events; less
        /// than ``pollEnterWakeupsPerSecond``.
        public var pollExitPacketsPerSecond = 1000

        /// The defaults listed in `conf/sotto.toml`.
        public init() {}

        /// The address written into SDP: ``advertisedIP``, else ``ip``.
        public var sdpIP: String { advertisedIP.isEmpty ? ip : advertisedIP }
    }
}
