/// How an ``AdminServer`` listens and what it allows.
public struct AdminServerConfiguration: Sendable {
    /// The Unix socket's path (at most 107 bytes). Created with mode 0660; removed on ``AdminServer/stop()``.
    public var socketPath: String
    /// Which uids and gids get which role.
    public var access: AdminAccess
    /// The audit log's path (a regular file on a filesystem that supports `fsync`).
    public var auditLogPath: String
    /// The group the socket file is given (`chown`), so members of it can connect; nil keeps the process's.
    public var socketGroup: UInt32?
    /// The account Sotto switches to once started (`process.run_as_user`): it may own the socket's directory
    /// too (the directory check, ``AdminSocketDirectory``).
    public var socketDirectoryOwner: UInt32?
    /// Connections open at once; one more is told so and closed.
    public var maxConnections: Int
    /// The longest request line, newline excluded; a longer one gets an error and the connection is closed.
    public var maxLineBytes: Int
    /// Output queued for a client that is not reading; past it the client is closed (never buffered without
    /// bound). A single response larger than this is still sent to a client whose queue was empty.
    public var maxPendingOutputBytes: Int
    /// A connection with no request in this long is closed (not one that is watching or waiting for a reply).
    public var idleTimeout: Duration
    /// The shortest `watch` interval a client may ask for.
    public var minimumWatchInterval: Duration
    /// The audit log is rotated once it reaches this size; 0: never by size (SIGHUP still rotates it).
    public var auditMaxBytes: Int
    /// The last connections (of ``maxConnections``) that only operators and admins may take, so viewers
    /// (dashboards, `watch`) cannot lock them out.
    public var reservedConnections: Int
    /// Connections one uid may have open at once.
    public var maxConnectionsPerUID: Int
    /// Snapshot-taking commands and `watch` frames per connection.
    public var snapshotLimit: AdminRateLimit
    /// Refused requests per connection before it is answered `rate_limited` for a while.
    public var refusalLimit: AdminRateLimit
    /// Audit lines for refusals, across all connections; past it they are counted into one
    /// `audit-suppressed` line.
    public var auditRefusalLimit: AdminRateLimit
    /// How long a `recordings-export` token lets its connection read the sealed file.
    public var exportTokenLifetime: Duration
    /// Live export tokens one connection may hold, and the server in all.
    public var maxExportsPerConnection: Int
    public var maxExports: Int
    /// Test seam: the monotonic clock (nanoseconds) export tokens expire by. Nil: the system's.
    package var exportClock: (@Sendable () -> UInt64)?
    /// Test seam: the uid a connection is treated as, from the kernel's (the tests cannot connect as other
    /// uids). Nil: the kernel's.
    package var peerUID: (@Sendable (UInt32) -> UInt32)?

    /// A configuration; the limits default to what a relay uses.
    public init(
        socketPath: String,
        access: AdminAccess,
        auditLogPath: String,
        socketGroup: UInt32? = nil,
        maxConnections: Int = 16,
        maxLineBytes: Int = 65536,
        maxPendingOutputBytes: Int = 1 << 20,
        idleTimeout: Duration = .seconds(300),
        minimumWatchInterval: Duration = .milliseconds(100),
        auditMaxBytes: Int = 64 << 20,
        reservedConnections: Int = 4,
        maxConnectionsPerUID: Int = 8,
        snapshotLimit: AdminRateLimit = AdminRateLimit(perSecond: 10, burst: 20),
        refusalLimit: AdminRateLimit = AdminRateLimit(perSecond: 5, burst: 10),
        auditRefusalLimit: AdminRateLimit = AdminRateLimit(perSecond: 1, burst: 60),
        exportTokenLifetime: Duration = .seconds(600),
        maxExportsPerConnection: Int = 4,
        maxExports: Int = 64
    ) {
        self.socketPath = socketPath
        self.access = access
        self.auditLogPath = auditLogPath
        self.socketGroup = socketGroup
        self.maxConnections = maxConnections
        self.maxLineBytes = maxLineBytes
        self.maxPendingOutputBytes = maxPendingOutputBytes
        self.idleTimeout = idleTimeout
        self.minimumWatchInterval = minimumWatchInterval
        self.auditMaxBytes = auditMaxBytes
        self.reservedConnections = reservedConnections
        self.maxConnectionsPerUID = maxConnectionsPerUID
        self.snapshotLimit = snapshotLimit
        self.refusalLimit = refusalLimit
        self.auditRefusalLimit = auditRefusalLimit
        self.exportTokenLifetime = exportTokenLifetime
        self.maxExportsPerConnection = maxExportsPerConnection
        self.maxExports = maxExports
    }
}
