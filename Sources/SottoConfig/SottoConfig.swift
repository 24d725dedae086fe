/// Sotto's configuration: one TOML file (`conf/sotto.toml` documents every key and its default),
/// optionally overridden by command-line flags, checked at start with errors that name the key.
///
/// Reading happens in two steps. ``load(path:)`` (or ``init(parsing:file:)``) and
/// ``applying(_:cwd:)`` check every value they are given, one key at a time: its TOML type, its form and
/// range, and that the files it names can be read. ``validated()`` then checks the whole: the keys
/// that have no default are set, and keys that depend on each other agree. ``resolve(configFile:overrides:cwd:)``
/// runs all three, which is what the `sotto` executable wants.
public struct SottoConfig: Sendable, Equatable {
    /// `[sip]`: the TLS listener for softphones.
    public var sip = SIPSettings()
    /// `[upstream]`: the PBX.
    public var upstream = UpstreamSettings()
    /// `[media]`: the SRTP relay.
    public var media = MediaSettings()
    /// `[calls]`: call limits and draining.
    public var calls = CallSettings()
    /// `[admin]`: the admin socket.
    public var admin = AdminSettings()
    /// `[log]`: logging.
    public var log = LogSettings()
    /// `[process]`: the account Sotto runs as.
    public var process = ProcessSettings()
    /// `[recording]`: the recording vault.
    public var recording = RecordingSettings()
    /// The config file these values were read from, as given; nil when running on defaults and flags.
    public var file: String?

    /// Every key at its default. ``validated()`` refuses it until the required keys are set.
    public static let defaults = SottoConfig()

    /// Every key at its default; the same as ``defaults``.
    public init() {}

    /// Reads and checks the config file at `path`; relative paths in it are taken from the file's
    /// directory. Call ``validated()`` once overrides are applied.
    public static func load(path: String) throws(ConfigError) -> SottoConfig {
        let text: String
        do {
            text = try PathResolver.readText(path)
        } catch {
            throw ConfigError(file: path, key: nil, reason: error.reason)
        }
        return try SottoConfig(parsing: text, file: path)
    }

    /// Loads `configFile` (or starts from ``defaults`` when it is nil), applies `overrides` with
    /// relative paths taken from `cwd`, and checks the result with ``validated()``.
    public static func resolve(
        configFile: String?, overrides: ConfigOverrides, cwd: String
    ) throws(ConfigError) -> SottoConfig {
        let base = try configFile.map { (path) throws(ConfigError) in try load(path: path) } ?? defaults
        let config = try base.applying(overrides, cwd: cwd)
        try config.validated()
        return config
    }

    /// The host Sotto writes into Via, Record-Route and Path: `sip.advertised_host`, else the listen
    /// address, else (when that is the any-address) the address media is advertised on.
    public var sipAdvertisedHost: String {
        if !sip.advertisedHost.isEmpty { return sip.advertisedHost }
        if !IPAddress.isWildcard(sip.listen.host) { return sip.listen.host }
        return media.sdpIP
    }
}
