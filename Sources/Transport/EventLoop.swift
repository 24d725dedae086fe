import Dispatch

/// A serial `DispatchQueue` plus a monotonic clock: the thread-confinement unit for sockets.
///
/// Everything a listener or a stream owns (its fd, its sources, its buffers, its timer) is touched
/// only on its loop's queue, so none of it takes a lock. Kept deliberately small: the media loops,
/// with their epoll sets and packet budgets, are `MediaLoop`.
public final class EventLoop: Sendable {
    /// The loop's name, shown in debuggers and crash logs.
    public let label: String
    /// The serial queue every source of this loop delivers on.
    public let queue: DispatchQueue

    /// Where every ``ByteStream`` of the loop reads its socket into, shared so that an idle
    /// connection holds no read buffer. Touched only on the loop's queue, which is what makes the
    /// `nonisolated(unsafe)` sound (the same holds for ``scratch``).
    nonisolated(unsafe) let readBuffer: UnsafeMutableRawBufferPointer
    /// One TLS record's worth of scratch space for decrypted plaintext, shared by every
    /// ``TLSStream`` of the loop. Separate from ``readBuffer``: plaintext is decrypted while the
    /// ciphertext read into that buffer is still being offered.
    nonisolated(unsafe) let scratch: UnsafeMutableRawBufferPointer

    private static let identityKey = DispatchSpecificKey<ObjectIdentifier>()

    /// Creates a loop with its own serial queue.
    public init(label: String) {
        self.label = label
        self.queue = DispatchQueue(label: label)
        self.readBuffer = .allocate(byteCount: 16_384, alignment: 16)
        self.scratch = .allocate(byteCount: 16_384, alignment: 16)
        queue.setSpecific(key: Self.identityKey, value: ObjectIdentifier(self))
    }

    deinit {
        readBuffer.deallocate()
        scratch.deallocate()
    }

    /// Whether the caller is running on this loop's queue.
    public var inEventLoop: Bool {
        DispatchQueue.getSpecific(key: Self.identityKey) == ObjectIdentifier(self)
    }

    /// Runs `work` on the loop: now if already on it, else asynchronously.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        if inEventLoop {
            work()
        } else {
            queue.async(execute: work)
        }
    }

    /// Nanoseconds on a monotonic clock that does not jump with wall-clock changes.
    public func now() -> UInt64 {
        DispatchTime.now().uptimeNanoseconds
    }

    /// A one-shot timer on this loop's queue, not yet scheduled; the caller schedules, activates
    /// and eventually cancels it.
    func makeTimer(_ handler: @escaping @Sendable () -> Void) -> DispatchSourceTimer {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler(handler: handler)
        return timer
    }
}

extension Duration {
    /// Whole nanoseconds, saturating; negative durations count as zero.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 0 }
        let (whole, overflow) = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return .max }
        return whole &+ UInt64(attoseconds / 1_000_000_000)
    }
}
