import Testing

@testable import SottoConfig

/// The descriptor budget: what is kept for connections and the process, the calls that fit, and the refusal of a
/// config that allows more calls than fit.
@Suite struct DescriptorBudgetTests {
    /// A config with `maxCalls`, the port range `ports` and `maxConnections`, read from `sotto.toml`.
    static func config(maxCalls: Int = 0, ports: ClosedRange<UInt16> = 30_000...39_999, maxConnections: Int = 10_000)
        -> SottoConfig
    {
        var config = SottoConfig()
        config.file = "sotto.toml"
        config.calls.maxCalls = maxCalls
        config.media.ports = ports
        config.sip.maxConnections = maxConnections
        return config
    }

    @Test func connectionsAreKeptUpToAQuarterOfTheLimit() {
        let small = DescriptorBudget(limit: 1024, maxConnections: 10_000, loops: 2)
        #expect(small.connections == 256)
        #expect(small.process == DescriptorBudget.base + 2 * DescriptorBudget.perLoop)
        #expect(small.media == 1024 - 256 - small.process)
        #expect(small.callsThatFit == small.media / 4)

        let large = DescriptorBudget(limit: 1_048_576, maxConnections: 10_000, loops: 8)
        #expect(large.connections == 10_000)
        #expect(large.callsThatFit == (1_048_576 - 10_000 - DescriptorBudget.base - 16) / 4)
    }

    @Test func aLimitBelowTheReservesLeavesNoCalls() {
        let tiny = DescriptorBudget(limit: 40, maxConnections: 100, loops: 1)
        #expect(tiny.media == 0)
        #expect(tiny.callsThatFit == 0)
    }

    @Test func thePortRangeBoundsTheCallsAllowed() {
        #expect(Self.config().callsThePortsHold == 2500)
        #expect(Self.config().callsAllowed == 2500)
        #expect(Self.config(maxCalls: 100).callsAllowed == 100)
        #expect(Self.config(maxCalls: 9000).callsAllowed == 2500)
        #expect(Self.config(ports: 30_000...30_003).callsThePortsHold == 1)
    }

    @Test func aConfigThatFitsIsAccepted() throws {
        let budget = try Self.config().checkDescriptors(limit: 20_000, loops: 2)
        #expect(budget.callsThatFit >= 2500)
        _ = try Self.config(maxCalls: 150).checkDescriptors(limit: 1024, loops: 2)
    }

    @Test func maxCallsThatDoNotFitAreRefusedByName() {
        #expect {
            _ = try Self.config(maxCalls: 500).checkDescriptors(limit: 1024, loops: 2)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.file == "sotto.toml" && error.key == "calls.max_calls"
                && error.reason.contains("500 calls do not fit")
                && error.reason.contains("set calls.max_calls to at most 175")
        }
    }

    @Test func aPortRangeThatDoesNotFitIsRefusedByName() {
        #expect {
            _ = try Self.config().checkDescriptors(limit: 1024, loops: 2)
        } throws: { error in
            guard let error = error as? ConfigError else { return false }
            return error.key == "media.ports" && error.reason.contains("30000-39999 holds 2500 calls")
                && error.reason.contains("limit (1024) leaves room for 175 calls")
        }
        // max_calls above what the ports hold: the range is what bounds the calls, so it is the key named.
        #expect {
            _ = try Self.config(maxCalls: 9000).checkDescriptors(limit: 1024, loops: 2)
        } throws: { error in
            (error as? ConfigError)?.key == "media.ports"
        }
    }

    @Test func theRefusalJustAboveTheBudgetAndAcceptanceAtIt() throws {
        let fit = DescriptorBudget(limit: 1024, maxConnections: 10_000, loops: 2).callsThatFit
        _ = try Self.config(maxCalls: fit).checkDescriptors(limit: 1024, loops: 2)
        #expect(throws: ConfigError.self) {
            _ = try Self.config(maxCalls: fit + 1).checkDescriptors(limit: 1024, loops: 2)
        }
    }
}
