import Foundation
import Media
import Synchronization
import Testing

/// The session-ended handler is called as it was set, however many sessions have ended before.
///
/// It once sat in a `Mutex` as a bare function value, and reading it with `withLock { $0 }` re-abstracted the
/// value through the `inout` access and stored the wrapped copy back: every session that ended added one more
/// thunk around the handler, so each call went through one frame more than the last. In a soak at 13 calls a
/// second the relay's stack use grew by megabytes an hour, and after about 100,000 calls a thread's 8 MiB
/// stack would have overflowed.
@Suite(.serialized) struct SessionEndedHandlerTests {
    /// How many frames deep the caller is.
    private static func stackDepth() -> Int { Thread.callStackReturnAddresses.count }

    @Test func theHandlerRunsAtTheSameDepthAfterThousandsOfSessions() throws {
        let engine = try MediaEngine(configuration: .init(ports: 26900...26907, loops: 1))
        let depths = Mutex<[Int]>([])
        engine.setSessionEndedHandler { _ in
            let depth = Self.stackDepth()
            depths.withLock { $0.append(depth) }
        }
        let sessions = 2000
        for index in 0..<sessions {
            let made = try engine.createSession(
                callID: "call-\(index)", streams: [MediaStreamSpec(rtcpMux: false, clockRate: 8000)])
            engine.endSession(made.id)
            engine.flush()
        }
        let seen = depths.withLock { $0 }
        #expect(seen.count == sessions)
        // With one thunk more per ended session the last call ran thousands of frames deeper than the first
        // (as deep as the backtrace is taken); without, the depth varies only with the engine's own paths.
        let first = seen.prefix(10).max() ?? 0
        let last = seen.suffix(10).min() ?? 0
        #expect(last - first < 8, "the handler ran \(last - first) frames deeper after \(sessions) sessions")
    }
}
