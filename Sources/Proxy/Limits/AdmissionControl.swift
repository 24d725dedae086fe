import Logging
import Media
import SIP
import Transport

/// The limits of ``ProxyLimits`` as state: request rates per softphone connection and per address, calls per
/// connection, address and address of record, and the count of every refusal by limit name (metrics
/// `sotto_limit_refusals_total{limit=...}`). Every check here runs before the proxy allocates anything for
/// the request (a transaction, a call, media ports).
///
/// The PBX's connections are not limited per connection: one of them carries every call of the centre, and
/// throttling it would be a self-made outage. The global limits (calls, transactions) hold for everyone.
///
/// Confined to the signalling loop.
final class AdmissionControl {
    /// What a refusal is counted and logged as.
    enum Limit: String, CaseIterable {
        case streamsPerOffer = "streams_per_offer"
        case calls = "max_calls"
        case callsPerFlow = "calls_per_connection"
        case callsPerAddress = "calls_per_address"
        case callsPerAOR = "calls_per_aor"
        case transactions = "transactions"
        case transactionsPerFlow = "transactions_per_connection"
        case requestsPerFlow = "requests_per_connection"
        case requestsPerAddress = "requests_per_address"
        case registrationsPerFlow = "registrations_per_connection"
        case foreignDialog = "foreign_dialog"
        case identity = "certificate_identity"
    }

    /// The parties a call counts against.
    struct CallParties: Hashable {
        let flow: FlowID
        let address: String
        let aor: String
    }

    let limits: ProxyLimits
    private let clock: any MediaClock
    private let logger: Logger
    private var flowBuckets: [FlowID: TokenBucket] = [:]
    private var addressBuckets: [String: TokenBucket] = [:]
    private var callsByFlow: [FlowID: Int] = [:]
    private var callsByAddress: [String: Int] = [:]
    private var callsByAOR: [String: Int] = [:]
    /// Refusals by limit name, since start (monotonic).
    private(set) var refusals: [String: Int] = [:]
    /// Per limit: its refusals' log lines, at most one every 10 seconds.
    private var logGates: [Limit: LogGate] = [:]
    private var lastSweep: UInt64 = 0

    init(limits: ProxyLimits, clock: any MediaClock, logger: Logger) {
        self.limits = limits
        self.clock = clock
        self.logger = logger
    }

    /// The key an address's limits are kept under: an IPv4 address as it is, an IPv6 address by its
    /// prefix (``ProxyLimits/ipv6PrefixLength``), so that one host cannot step around a per-address limit by
    /// using many addresses of its /64.
    func addressKey(_ ip: String) -> String {
        SocketAddress.limitKey(host: ip, ipv6PrefixLength: limits.ipv6PrefixLength)
    }

    // MARK: Requests

    /// A request from a softphone connection takes a token from its connection's bucket and its address's.
    /// Nil when it may go on; else the refusal (503 with Retry-After, RFC 3261 §21.5.4), counted unless
    /// `counting` is false (a dropped ACK is not a refused request).
    func admitRequest(from flow: Flow, counting: Bool = true) -> ProxyRefusal? {
        guard flow.kind == .softphone else { return nil }
        let now = clock.now()
        let perFlow = limits.requestsPerSecondPerFlow
        if perFlow > 0 {
            var bucket = flowBuckets[flow.id] ?? TokenBucket(perSecond: Double(perFlow), burst: 2 * perFlow, now: now)
            let allowed = bucket.take(now: now)
            flowBuckets[flow.id] = bucket
            if !allowed {
                return refuse(.requestsPerFlow, overload: "too many requests on this connection", counting: counting)
            }
        }
        let perAddress = limits.requestsPerSecondPerAddress
        if perAddress > 0 {
            let key = addressKey(flow.peerIP)
            var bucket =
                addressBuckets[key] ?? TokenBucket(perSecond: Double(perAddress), burst: 2 * perAddress, now: now)
            let allowed = bucket.take(now: now)
            addressBuckets[key] = bucket
            if !allowed {
                return refuse(.requestsPerAddress, overload: "too many requests from this address", counting: counting)
            }
        }
        return nil
    }

    /// A connection closed: its bucket goes; its address's goes once full again (``sweep()``).
    func flowClosed(_ id: FlowID) {
        flowBuckets[id] = nil
    }

    /// Forgets address buckets that have refilled, so the table holds only addresses active lately (at most
    /// every 10 seconds; the proxy calls this on each tick).
    func sweep() {
        let now = clock.now()
        guard now &- lastSweep >= 10_000_000_000 else { return }
        lastSweep = now
        addressBuckets = addressBuckets.filter { !$0.value.isFull(now: now) }
        // Refusals held back by the log gate are reported once the flood has gone quiet for 10 s, so that
        // the log shows how many there were, not only the first.
        for limit in Array(logGates.keys) {
            guard let held = logGates[limit]?.flush(now: now) else { continue }
            logger.warning(
                "limit refusals not logged one by one", metadata: ["limit": "\(limit.rawValue)", "count": "\(held)"])
        }
    }

    // MARK: Calls

    /// Whether a new call may start for these parties. `inbound` is a call from the PBX toward the phone:
    /// a phone at its limit is busy (486); a phone calling out beyond its limit is refused (403), which
    /// tells it not to retry elsewhere.
    func admitCall(_ parties: CallParties, live: Int, inbound: Bool) -> ProxyRefusal? {
        if limits.callsPerFlow > 0, callsByFlow[parties.flow, default: 0] >= limits.callsPerFlow {
            return refuseCall(.callsPerFlow, inbound: inbound, "this connection has \(limits.callsPerFlow) calls")
        }
        if limits.callsPerAddress > 0, callsByAddress[parties.address, default: 0] >= limits.callsPerAddress {
            return refuseCall(
                .callsPerAddress, inbound: inbound, "this address has \(limits.callsPerAddress) calls")
        }
        if limits.callsPerAOR > 0, callsByAOR[parties.aor, default: 0] >= limits.callsPerAOR {
            return refuseCall(.callsPerAOR, inbound: inbound, "\(parties.aor) has \(limits.callsPerAOR) calls")
        }
        return nil
    }

    /// A call was registered for these parties.
    func callStarted(_ parties: CallParties) {
        callsByFlow[parties.flow, default: 0] += 1
        callsByAddress[parties.address, default: 0] += 1
        callsByAOR[parties.aor, default: 0] += 1
    }

    /// A call of these parties ended.
    func callEnded(_ parties: CallParties) {
        Self.decrement(&callsByFlow, parties.flow)
        Self.decrement(&callsByAddress, parties.address)
        Self.decrement(&callsByAOR, parties.aor)
    }

    private static func decrement<Key: Hashable>(_ table: inout [Key: Int], _ key: Key) {
        let left = table[key, default: 0] - 1
        table[key] = left > 0 ? left : nil
    }

    private func refuseCall(_ limit: Limit, inbound: Bool, _ text: String) -> ProxyRefusal {
        count(limit)
        return inbound
            ? ProxyRefusal(status: 486, reason: "Busy Here", warning: text)
            : ProxyRefusal(status: 403, reason: "Forbidden", warning: text)
    }

    // MARK: Refusals

    /// Counts a refusal and returns `503` with Retry-After: the condition passes by itself.
    func refuse(_ limit: Limit, overload text: String, retryAfter seconds: Int = 1, counting: Bool = true)
        -> ProxyRefusal
    {
        if counting { count(limit) }
        return ProxyRefusal(
            status: 503, reason: "Service Unavailable", warning: text,
            extra: [SIPHeader(name: "Retry-After", value: String(seconds))])
    }

    /// Counts a refusal by limit name and logs it, at most once per limit every 10 seconds (with the number
    /// not logged meanwhile): a flood must not become a flood of log lines.
    func count(_ limit: Limit) {
        refusals[limit.rawValue, default: 0] += 1
        guard let held = logGates[limit, default: LogGate(interval: .seconds(10))].admit(now: clock.now()) else {
            return
        }
        logger.warning(
            "a limit refused a request", metadata: ["limit": "\(limit.rawValue)", "not-logged-since-last": "\(held)"])
    }
}
