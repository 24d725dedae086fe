internal import CSottoShims
import Dispatch
import Glibc

/// Something a media loop calls when one of its sockets is readable.
public protocol MediaLoopHandler: AnyObject {
    /// Called on the loop's queue when `fd` (registered with `token`) has datagrams waiting. Must do
    /// a bounded amount of work (one batch) and return how many datagrams it consumed.
    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int
}

/// One media event loop: a serial `DispatchQueue` that owns an epoll set of media sockets, driven by
/// one `DispatchSourceRead` on the epoll descriptor (RECIPES.md §10: a Dispatch source per socket costs
/// twice the CPU per packet at call rates, because each 50 pps socket holds one packet per wakeup).
///
/// Everything registered here is used only on `queue`. Register and deregister from the queue too.
public final class MediaLoop: @unchecked Sendable {
    /// The loop's serial queue: sessions living on this loop are touched only here.
    public let queue: DispatchQueue
    /// The per-wakeup packet budget: after this many datagrams the loop yields, and Dispatch calls it
    /// again because the epoll descriptor is still readable.
    public let budget: Int
    private let epollFD: Int32
    private var source: DispatchSourceRead?
    private var handlers: [UInt64: (fd: Int32, handler: MediaLoopHandler)] = [:]
    private let events: UnsafeMutablePointer<epoll_event>
    private let maxEvents: Int32
    /// Wakeups served (read it on `queue`).
    private(set) var wakeups = 0

    /// Creates a loop; `start()` begins serving it.
    public init(label: String, maxEvents: Int = 256, budget: Int = 4096) throws(TransportError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else {
            throw TransportError(.socketFailed, "media loop \(label) has no epoll set: \(errnoSentence(errno))")
        }
        epollFD = fd
        queue = DispatchQueue(label: label)
        self.budget = budget
        self.maxEvents = Int32(maxEvents)
        events = .allocate(capacity: maxEvents)
    }

    deinit {
        events.deallocate()
        // A started loop's descriptor is closed by its source's cancel handler; a loop never started
        // (the benchmark's reference mode, or an engine that failed half-way) closes it here.
        if source == nil { Glibc.close(epollFD) }
    }

    /// Starts serving readiness events.
    public func start() {
        let source = DispatchSource.makeReadSource(fileDescriptor: epollFD, queue: queue)
        source.setEventHandler { [unowned self] in self.serve() }
        source.setCancelHandler { [epollFD] in Glibc.close(epollFD) }
        self.source = source
        source.resume()
    }

    /// Stops the loop; the epoll descriptor is closed once Dispatch has let go of it.
    public func stop() { source?.cancel() }

    /// Adds a socket to the epoll set (level-triggered `EPOLLIN`). Call on `queue`.
    public func register(fd: Int32, token: UInt64, handler: MediaLoopHandler) throws(TransportError) {
        dispatchPrecondition(condition: .onQueue(queue))
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = token
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            throw TransportError(
                .socketFailed, "media socket \(fd) could not join the epoll set: \(errnoSentence(errno))")
        }
        handlers[token] = (fd, handler)
    }

    /// Removes a socket from the epoll set before it is closed. Call on `queue`.
    public func deregister(fd: Int32, token: UInt64) {
        dispatchPrecondition(condition: .onQueue(queue))
        _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
        handlers[token] = nil
    }

    /// The benchmark's reference: serves the same epoll set from the calling thread with blocking
    /// `epoll_wait` (waking at least every `timeoutMilliseconds` to ask `running`), no Dispatch at all,
    /// until `running` turns false. Never combine with `start()`.
    public func serveBlocking(timeoutMilliseconds: Int32 = 50, while running: () -> Bool) {
        while running() {
            let ready = epoll_wait(epollFD, events, maxEvents, timeoutMilliseconds)
            if ready <= 0 { continue }
            for index in 0..<Int(ready) {
                guard let entry = handlers[events[index].data.u64] else { continue }
                _ = entry.handler.readable(fd: entry.fd, token: events[index].data.u64, loop: self)
            }
        }
    }

    private func serve() {
        wakeups += 1
        var served = 0
        while served < budget {
            let ready = epoll_wait(epollFD, events, maxEvents, 0)
            if ready <= 0 { return }
            for index in 0..<Int(ready) {
                // A socket removed by an earlier handler in this round leaves a stale token: skip it.
                guard let entry = handlers[events[index].data.u64] else { continue }
                served += entry.handler.readable(fd: entry.fd, token: events[index].data.u64, loop: self)
            }
        }
    }
}
