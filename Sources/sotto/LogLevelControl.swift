import Logging
import Synchronization

/// The log level every logger of the process reads, so `sottoctl log-level` changes it at once.
final class SharedLogLevel: Sendable {
    private let storage: Mutex<Logger.Level>

    init(_ level: Logger.Level) { storage = Mutex(level) }

    var level: Logger.Level {
        get { storage.withLock { $0 } }
        set { storage.withLock { $0 = newValue } }
    }
}

/// swift-log's stderr handler with its level taken from a ``SharedLogLevel``.
struct SharedLevelLogHandler: LogHandler {
    private var inner: StreamLogHandler
    private let shared: SharedLogLevel

    init(label: String, shared: SharedLogLevel) {
        self.inner = StreamLogHandler.standardError(label: label)
        self.shared = shared
    }

    var logLevel: Logger.Level {
        get { shared.level }
        set { shared.level = newValue }
    }

    var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        inner.log(event: event)
    }
}
