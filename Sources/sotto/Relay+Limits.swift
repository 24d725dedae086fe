import Proxy
import SottoConfig

extension Relay {
    /// The proxy's limits from `[sip]` and `[calls]` (docs/security.md lists each with its default).
    static func proxyLimits(_ config: SottoConfig) -> ProxyLimits {
        var limits = ProxyLimits()
        limits.streamsPerOffer = config.calls.maxStreamsPerOffer
        limits.callsPerFlow = config.calls.maxCallsPerConnection
        limits.callsPerAddress = config.calls.maxCallsPerAddress
        limits.callsPerAOR = config.calls.maxCallsPerAOR
        limits.maxRingingNanoseconds = UInt64(config.calls.maxRinging.components.seconds) * 1_000_000_000
        limits.transactions = config.sip.maxTransactions
        limits.transactionsPerFlow = config.sip.maxTransactionsPerConnection
        limits.requestsPerSecondPerFlow = config.sip.requestsPerSecondPerConnection
        limits.requestsPerSecondPerAddress = config.sip.requestsPerSecondPerAddress
        limits.registrationsPerFlow = config.sip.maxRegistrationsPerConnection
        limits.ipv6PrefixLength = config.sip.ipv6PrefixLength
        return limits
    }

    /// `sip.client_identity` as the proxy takes it (the key's values are checked when the file is read).
    static func identityBinding(_ config: SottoConfig) -> IdentityBinding {
        IdentityBinding(rawValue: config.sip.clientIdentity) ?? .none
    }
}
