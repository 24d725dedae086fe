import AdminProtocol

/// What the relay shows and lets the admin socket change. The `sotto` executable implements it over its engines'
/// snapshots; the admin server never reaches into a relay loop itself (docs/architecture.md, "Layers and modules").
///
/// The server calls these off its socket queue, on a worker thread, one call at a time per connection but
/// possibly concurrently across connections; a call may block briefly (e.g. to gather a snapshot from
/// each media loop) without stalling other admin clients.
public protocol AdminBackend: Sendable {
    /// Sotto's version and start time.
    func version() -> AdminVersion
    /// Every live session.
    func sessions() -> [AdminSession]
    /// One live session, or nil if there is none with that id.
    func session(id: UInt64) -> AdminSession?
    /// Ends a call: BYE both ways, end reason `admin`. False if there is no such session (any more).
    func terminate(session id: UInt64) -> Bool
    /// Softphone registrations seen through Sotto.
    func registrations() -> [AdminRegistration]
    /// The relay's totals.
    func stats() -> AdminStats
    /// Sets the log level (`trace` ... `critical`) at once. False if `level` is not a level.
    func setLogLevel(_ level: String) -> Bool
    /// The effective configuration, section → key → value (each of its key's type), secrets already left out.
    func effectiveConfig() -> AdminConfig
}
