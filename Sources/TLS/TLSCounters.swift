import Synchronization

/// Handshake counters of one ``TLSContext``, written on the event loops and readable from any
/// thread (the admin socket, alert rules) without a lock.
public final class TLSCounters: Sendable {
    private let completed = Atomic<Int>(0)
    private let failed = Atomic<Int>(0)

    /// Creates zeroed counters.
    public init() {}

    /// Handshakes that completed.
    public var handshakesCompleted: Int { completed.load(ordering: .relaxed) }
    /// Handshakes that failed: refused versions or ciphers, bad certificates, alerts, garbage.
    public var handshakeFailures: Int { failed.load(ordering: .relaxed) }

    func recordHandshakeCompleted() {
        completed.wrappingAdd(1, ordering: .relaxed)
    }

    func recordHandshakeFailure() {
        failed.wrappingAdd(1, ordering: .relaxed)
    }
}
