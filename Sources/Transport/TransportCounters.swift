import Synchronization

/// Connection counters of a listener (or of outbound connects), written on the loop and readable
/// from any thread. Updated once per connection event, never per byte.
public final class TransportCounters: Sendable {
    private let accepted = Atomic<Int>(0)
    private let open = Atomic<Int>(0)
    private let refusedTotal = Atomic<Int>(0)
    private let refusedPerAddress = Atomic<Int>(0)
    private let refusedHandshakes = Atomic<Int>(0)
    private let refusedRate = Atomic<Int>(0)
    private let closes = Mutex<[Int]>(Array(repeating: 0, count: TCPCloseReason.Kind.allCases.count))

    /// Creates zeroed counters.
    public init() {}

    /// Connections accepted (or connected) and handed a stream.
    public var connectionsAccepted: Int { accepted.load(ordering: .relaxed) }
    /// Connections open now.
    public var connectionsOpen: Int { open.load(ordering: .relaxed) }
    /// Connections refused at accept because ``TCPLimits/maxConnections`` were open.
    public var refusedTooManyConnections: Int { refusedTotal.load(ordering: .relaxed) }
    /// Connections refused at accept because their address held ``TCPLimits/maxConnectionsPerAddress``.
    public var refusedTooManyFromAddress: Int { refusedPerAddress.load(ordering: .relaxed) }

    /// Connections refused at accept because ``TCPLimits/maxHandshakes`` handshakes were under way.
    public var refusedTooManyHandshakes: Int { refusedHandshakes.load(ordering: .relaxed) }
    /// Connections refused at accept because their address opened more than
    /// ``TCPLimits/acceptsPerSecondPerAddress`` per second.
    public var refusedAcceptRate: Int { refusedRate.load(ordering: .relaxed) }

    /// Connections that ended for `kind`.
    public func closed(_ kind: TCPCloseReason.Kind) -> Int {
        closes.withLock { $0[kind.rawValue] }
    }

    func recordOpened() {
        accepted.wrappingAdd(1, ordering: .relaxed)
        open.wrappingAdd(1, ordering: .relaxed)
    }

    func recordClosed(_ kind: TCPCloseReason.Kind) {
        open.wrappingSubtract(1, ordering: .relaxed)
        closes.withLock { $0[kind.rawValue] += 1 }
    }

    func recordRefusedTooMany() {
        refusedTotal.wrappingAdd(1, ordering: .relaxed)
    }

    func recordRefusedPerAddress() {
        refusedPerAddress.wrappingAdd(1, ordering: .relaxed)
    }

    func recordRefusedHandshakes() {
        refusedHandshakes.wrappingAdd(1, ordering: .relaxed)
    }

    func recordRefusedAcceptRate() {
        refusedRate.wrappingAdd(1, ordering: .relaxed)
    }
}
