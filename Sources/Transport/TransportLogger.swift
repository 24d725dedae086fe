public import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Where Transport's log sentences go. A closure, so the `sotto` executable can route them into
/// swift-log with metadata; the default writes one line to stderr.
public struct TransportLogger: Sendable {
    /// How much a line matters.
    public enum Level: String, Sendable, Hashable {
        /// Expected events worth a trace: a connection closed normally.
        case info
        /// A peer misbehaved or a limit was hit: a handshake failed, a timeout, a refusal.
        case warning
    }

    private let sink: @Sendable (Level, String) -> Void

    /// A logger that hands each sentence to `sink`.
    public init(_ sink: @escaping @Sendable (Level, String) -> Void) {
        self.sink = sink
    }

    /// Writes `"sotto transport <level>: <sentence>"` lines to stderr.
    public static let standardError = TransportLogger { level, message in
        let line = "sotto transport \(level.rawValue): \(message)\n"
        _ = line.utf8.withContiguousStorageIfAvailable { write(STDERR_FILENO, $0.baseAddress, $0.count) }
    }

    /// Transport's sentences into swift-log: warnings as warnings, the rest at debug level, each after
    /// `prefix` (which names the socket, say "admin socket: ").
    public init(bridging logger: Logger, prefix: String = "") {
        self.init { level, message in
            switch level {
            case .warning: logger.warning("\(prefix)\(message)")
            case .info: logger.debug("\(prefix)\(message)")
            }
        }
    }

    /// Drops everything.
    public static let none = TransportLogger { _, _ in }

    /// Logs one sentence.
    public func log(_ level: Level, _ message: String) {
        sink(level, message)
    }
}
