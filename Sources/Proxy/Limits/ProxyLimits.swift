/// What one phone, one address or the whole relay may make the proxy hold, each checked before anything is
/// allocated (docs/security.md lists every limit with its config key and default). A limit that is 0 is
/// off, except where noted.
public struct ProxyLimits: Sendable, Equatable {
    /// `calls.max_streams_per_offer`: m= lines in one offer; a larger offer gets `488` before any port is
    /// taken (every accepted stream costs 4 sockets).
    public var streamsPerOffer = 4
    /// `calls.max_calls_per_connection`: calls in progress or established on one softphone connection.
    public var callsPerFlow = 32
    /// `calls.max_calls_per_address`: the same, summed over every connection from one address (an IPv6
    /// address counts by its prefix, ``ipv6PrefixLength``). Many phones may sit behind one NAT, so this is
    /// larger than ``callsPerFlow``.
    public var callsPerAddress = 1000
    /// `calls.max_calls_per_aor`: calls of one registered identity (the softphone side's address of record).
    public var callsPerAOR = 16
    /// `calls.max_ringing_s`: how long a call may stay unanswered before Sotto gives it up (Timer C restarts on
    /// every provisional response, so a queue that sends 180 every minute would otherwise ring for ever).
    public var maxRingingNanoseconds: UInt64 = 300_000_000_000
    /// `sip.max_transactions_per_connection`: requests from one softphone connection still being answered.
    public var transactionsPerFlow = 64
    /// `sip.max_transactions`: server and client transactions alive at once, from everyone (the PBX included).
    public var transactions = 50_000
    /// `sip.requests_per_second_per_connection`: the steady rate of requests from one softphone connection
    /// (the bucket holds twice this, for bursts).
    public var requestsPerSecondPerFlow = 20
    /// `sip.requests_per_second_per_address`: the same over every softphone connection from one address.
    public var requestsPerSecondPerAddress = 500
    /// `sip.max_registrations_per_connection`: bindings (address of record and contact) one softphone
    /// connection may hold.
    public var registrationsPerFlow = 4
    /// `sip.ipv6_prefix_length`: an IPv6 peer's per-address limits key on this prefix (one customer is
    /// usually given a whole /64, and a host can pick any address inside it).
    public var ipv6PrefixLength = 64

    /// The defaults listed in `conf/sotto.toml`.
    public init() {}
}
