/// Values given on the command line, each overriding one config key. Nil leaves the key as it is.
///
/// Each is checked exactly as the same key in the file is; an error names the flag (`--media-ports`)
/// as its key and `command line` as its file.
public struct ConfigOverrides: Sendable, Equatable {
    /// `--listen`, for `sip.listen`.
    public var listen: String?
    /// `--upstream`, for `upstream.address`.
    public var upstream: String?
    /// `--cert`, for `sip.cert`.
    public var cert: String?
    /// `--key`, for `sip.key`.
    public var key: String?
    /// `--ca`, for `sip.ca`.
    public var ca: String?
    /// `--media-ip`, for `media.ip`.
    public var mediaIP: String?
    /// `--media-ports`, for `media.ports`.
    public var mediaPorts: String?
    /// `--admin-socket`, for `admin.socket`.
    public var adminSocket: String?
    /// `--audit-log`, for `admin.audit_log`.
    public var auditLog: String?
    /// `--log-level`, for `log.level`.
    public var logLevel: String?
    /// `--run-as-user`, for `process.run_as_user`.
    public var runAsUser: String?
    /// `--run-as-group`, for `process.run_as_group`.
    public var runAsGroup: String?
    /// `--allow-root`, for `process.allow_root`: true when the flag is given.
    public var allowRoot: Bool?

    /// Overrides for the flags given; the rest stay nil.
    public init(
        listen: String? = nil, upstream: String? = nil, cert: String? = nil, key: String? = nil, ca: String? = nil,
        mediaIP: String? = nil, mediaPorts: String? = nil, adminSocket: String? = nil, auditLog: String? = nil,
        logLevel: String? = nil, runAsUser: String? = nil, runAsGroup: String? = nil, allowRoot: Bool? = nil
    ) {
        self.listen = listen
        self.upstream = upstream
        self.cert = cert
        self.key = key
        self.ca = ca
        self.mediaIP = mediaIP
        self.mediaPorts = mediaPorts
        self.adminSocket = adminSocket
        self.auditLog = auditLog
        self.logLevel = logLevel
        self.runAsUser = runAsUser
        self.runAsGroup = runAsGroup
        self.allowRoot = allowRoot
    }

    /// Each flag, the key it overrides and its value, in the order they are applied.
    var entries: [(flag: String, key: String, value: String?)] {
        [
            ("--listen", "sip.listen", listen),
            ("--cert", "sip.cert", cert),
            ("--key", "sip.key", key),
            ("--ca", "sip.ca", ca),
            ("--upstream", "upstream.address", upstream),
            ("--media-ip", "media.ip", mediaIP),
            ("--media-ports", "media.ports", mediaPorts),
            ("--admin-socket", "admin.socket", adminSocket),
            ("--audit-log", "admin.audit_log", auditLog),
            ("--log-level", "log.level", logLevel),
            ("--run-as-user", "process.run_as_user", runAsUser),
            ("--run-as-group", "process.run_as_group", runAsGroup),
        ]
    }
}

extension SottoConfig {
    /// This config with `overrides` applied. Each value is checked as the file's would be; relative
    /// paths are taken from `cwd` (the directory Sotto was started in), not the config file's.
    public func applying(_ overrides: ConfigOverrides, cwd: String) throws(ConfigError) -> SottoConfig {
        var config = self
        let paths = PathResolver(directory: cwd)
        for (flag, dotted, value) in overrides.entries {
            guard let value, let key = ConfigKey.named(dotted) else { continue }
            do {
                try key.store(&config, .string(value), paths)
            } catch {
                throw ConfigError(file: ConfigError.commandLine, key: flag, reason: error.reason)
            }
        }
        if let allowRoot = overrides.allowRoot { config.process.allowRoot = allowRoot }
        return config
    }
}
