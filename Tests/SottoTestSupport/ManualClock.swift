import Media
import Synchronization

/// A ``MediaClock`` the test moves by hand, so timeouts are tested without waiting for time to pass.
///
/// The time is one atomic value: media loops read it on their own threads while the test advances it.
public final class ManualClock: MediaClock {
    private let nanoseconds: Atomic<UInt64>

    /// A clock at `nanoseconds` (one second by default, so "never" and "at start" differ).
    public init(nanoseconds: UInt64 = 1_000_000_000) {
        self.nanoseconds = Atomic(nanoseconds)
    }

    /// The time the test set, in nanoseconds.
    public func now() -> UInt64 { nanoseconds.load(ordering: .acquiring) }

    /// Moves the clock forward.
    public func advance(seconds: UInt64, milliseconds: UInt64 = 0) {
        nanoseconds.add(seconds * 1_000_000_000 + milliseconds * 1_000_000, ordering: .releasing)
    }
}
