import Admin
import AdminProtocol
import Dispatch
import Foundation
import Logging
import Media
import Proxy
import SIP
import SRTP
import SottoConfig
import TLS
import Transport

/// A start-up failure: one sentence, and whether it is the configuration's fault (exit 78).
struct StartError: Error, CustomStringConvertible {
    let description: String
    let isConfiguration: Bool
}

/// Everything `sotto` runs, wired from the config: SRTP, the media engine, TLS, the proxy and its sockets,
/// and the signals (SIGTERM/SIGINT drain and stop, SIGHUP reloads certificates).
final class Relay: @unchecked Sendable {
    private let config: SottoConfig
    private let logger: Logger
    private let media: MediaEngine
    private let server: SignallingServer
    private let admin: AdminServer
    /// The recording vault, when `[recording]` is on.
    private let recordings: RelayRecordings?
    /// Handshakes on the listener, across certificate reloads.
    private let serverCounters: TLSCounters
    private var signalSources: [DispatchSourceSignal] = []
    private var stopping = false
    /// systemd's `Type=notify` (READY, STOPPING, WATCHDOG); does nothing outside a unit.
    private let notifier = ServiceNotifier.fromEnvironment()
    private var watchdogTimer: DispatchSourceTimer?

    /// `runAs` is the account Sotto switches to once everything is bound (`process.run_as_user`), if any.
    init(config: SottoConfig, runAs: UInt32? = nil) throws(StartError) {
        self.config = config
        let level = SharedLogLevel(Logger.Level(config.log.level))
        LoggingSystem.bootstrap { label in SharedLevelLogHandler(label: label, shared: level) }
        let logger = Logger(label: "sotto")
        self.logger = logger

        let crypto: SRTPCryptoBackend
        do {
            crypto = try SRTPLibrary.start()
            logger.info("SRTP ready", metadata: ["crypto": "\(crypto.rawValue)"])
        } catch {
            throw StartError(description: "SRTP could not start: \(error)", isConfiguration: false)
        }

        let serverCounters = TLSCounters()
        self.serverCounters = serverCounters
        let serverContext = try Self.serverContext(config, counters: serverCounters)
        let upstreamAddress = try Self.resolve(config.upstream.address)
        let clientContext = try Self.clientContext(config, serverName: upstreamAddress.host)
        // Every address the PBX's name resolves to may be the PBX (with its certificate name, see trusted_names).
        let trusted =
            config.upstream.trustedAddresses.isEmpty
            ? Set(Resolver.all(host: config.upstream.address?.host ?? upstreamAddress.host).map(\.host)).union([
                upstreamAddress.host
            ])
            : Set(config.upstream.trustedAddresses)

        let loop = EventLoop(label: "sotto.sip")
        do {
            var mediaConfiguration = MediaEngine.Configuration(
                bindIP: config.media.ip, ports: config.media.ports,
                loops: config.effectiveMediaLoops,
                idleTimeoutNanoseconds: UInt64(config.media.idleTimeout.components.seconds) * 1_000_000_000)
            mediaConfiguration.holdTimeoutNanoseconds =
                UInt64(config.media.holdTimeout.components.seconds) * 1_000_000_000
            mediaConfiguration.earlyBufferPackets = config.media.earlyBufferPackets
            mediaConfiguration.earlyBufferNanoseconds =
                UInt64(config.media.earlyBufferAge.components.attoseconds / 1_000_000_000)
                + UInt64(config.media.earlyBufferAge.components.seconds) * 1_000_000_000
            mediaConfiguration.unlatchedAuthBudget = config.media.unlatchedAuthBudget
            mediaConfiguration.maxDatagramBytes = config.media.maxDatagramBytes
            mediaConfiguration.polling = MediaLoopPolling(
                tickNanoseconds: UInt64(config.media.pollTickMicroseconds) * 1000,
                enterWakeupsPerSecond: config.media.pollEnterWakeupsPerSecond,
                exitPacketsPerSecond: config.media.pollExitPacketsPerSecond)
            mediaConfiguration.logger = TransportLogger(bridging: logger)
            // One capture ring per media loop, only when calls are recorded.
            mediaConfiguration.captureRingBytes = config.recording.enabled ? config.recording.ringBytes : 0
            media = try MediaEngine(configuration: mediaConfiguration)
        } catch {
            throw StartError(description: "media: \(error.reason)", isConfiguration: false)
        }

        let recordings =
            config.recording.enabled ? try RelayRecordings(config: config, media: media, logger: logger) : nil
        self.recordings = recordings

        var proxyConfiguration = ProxyConfiguration(
            host: config.sipAdvertisedHost, port: Int(config.sip.listen.port), suites: config.media.suites,
            mediaAddress: config.media.sdpIP)
        proxyConfiguration.maxCalls = config.calls.maxCalls
        proxyConfiguration.limits = Self.proxyLimits(config)
        proxyConfiguration.dialogsBoundToConnection = config.sip.dialogsBoundToConnection
        proxyConfiguration.identityBinding = Self.identityBinding(config)
        proxyConfiguration.allowedPeerNetworks = config.media.allowedPeerNetworks
        proxyConfiguration.mediaPorts = Int(config.media.ports.lowerBound)...Int(config.media.ports.upperBound)
        proxyConfiguration.forwardSoftphoneIdentity = config.sip.forwardSoftphoneIdentity
        proxyConfiguration.product = "Sotto/\(SottoCommand.version)"
        proxyConfiguration.recorder = recordings?.recorder
        let proxy = SIPProxy(configuration: proxyConfiguration, media: media, clock: SystemMediaClock(), logger: logger)
        let limits = TCPLimits(
            maxConnections: config.sip.maxConnections, maxConnectionsPerAddress: config.sip.maxConnectionsPerAddress,
            handshakeTimeout: config.sip.handshakeTimeout, idleTimeout: config.sip.idleTimeout,
            maxInputBytes: config.sip.maxMessageBytes, maxHandshakes: config.sip.maxHandshakes,
            acceptsPerSecondPerAddress: config.sip.acceptsPerSecondPerAddress,
            ipv6PrefixLength: config.sip.ipv6PrefixLength)
        do {
            let listen = try SocketAddress(ip: config.sip.listen.host, port: config.sip.listen.port)
            server = try SignallingServer(
                listen: listen, serverContext: serverContext,
                upstream: .init(
                    address: upstreamAddress, serverName: config.upstream.tlsServerName ?? upstreamAddress.host,
                    context: clientContext, trustedIPs: trusted,
                    trustedNames: Set(config.upstream.effectiveTrustedNames),
                    reconnectMin: config.upstream.reconnectMin, reconnectMax: config.upstream.reconnectMax,
                    keepAlive: config.upstream.keepalive,
                    maxPendingOutputBytes: config.upstream.maxPendingOutputBytes,
                    connectWait: config.upstream.connectWait),
                proxy: proxy, loop: loop, limits: limits,
                sipLimits: SIPLimits(
                    maxMessageSize: config.sip.maxMessageBytes, maxBodySize: config.sip.maxMessageBytes),
                keepAliveOnlyLimit: config.sip.maxKeepAliveOnly, logger: logger)
        } catch {
            throw StartError(description: "sip.listen: \(error.reason)", isConfiguration: false)
        }

        let backend = RelayAdminBackend(
            config: config, server: server, media: media, serverCounters: serverCounters, logLevel: level,
            srtpCrypto: crypto.rawValue, recordings: recordings)
        admin = try Self.adminServer(config, backend: backend, runAs: runAs, logger: logger)
        if let recordings {
            let server = server
            // `recording.required`: a call whose recording failed mid-call is ended, on the signalling loop.
            recordings.recorder.setEndCall { session in
                server.loop.queue.async { _ = server.proxy.endUnrecorded(session: session) }
            }
            recordings.audit.attach(admin.auditLog)
        }
    }

    /// The admin socket: roles from `admin.viewers/operators/admins/auditors`, the audit log, the socket's group.
    private static func adminServer(
        _ config: SottoConfig, backend: RelayAdminBackend, runAs: UInt32?, logger: Logger
    ) throws(StartError) -> AdminServer {
        let access = try adminAccess(config)
        let group = try adminSocketGroup(config)
        // The audit log's directory is made if missing (a fresh install has no /var/log/sotto yet).
        let auditDirectory = (config.admin.auditLog as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: auditDirectory, withIntermediateDirectories: true)
        // The socket's directory is the admin server's to create (mode 0750) and check.
        do {
            var configuration = AdminServerConfiguration(
                socketPath: config.admin.socket, access: access, auditLogPath: config.admin.auditLog,
                socketGroup: group, maxConnections: config.admin.maxConnections,
                auditMaxBytes: config.admin.auditMaxBytes, reservedConnections: config.admin.reservedConnections,
                maxConnectionsPerUID: config.admin.maxConnectionsPerUID,
                snapshotLimit: AdminRateLimit(
                    perSecond: Double(config.admin.snapshotsPerSecond), burst: 2 * config.admin.snapshotsPerSecond),
                refusalLimit: AdminRateLimit(
                    perSecond: Double(config.admin.refusalsPerSecond), burst: 2 * config.admin.refusalsPerSecond),
                auditRefusalLimit: AdminRateLimit(
                    perSecond: Double(config.admin.auditRefusalsPerMinute) / 60,
                    burst: config.admin.auditRefusalsPerMinute))
            configuration.socketDirectoryOwner = runAs
            return try AdminServer(configuration: configuration, backend: backend, logger: logger)
        } catch {
            throw StartError(description: "admin socket: \(error.reason)", isConfiguration: false)
        }
    }

    /// The roles of the admin socket, from `admin.viewers/operators/admins/auditors`.
    static func adminAccess(_ config: SottoConfig) throws(StartError) -> AdminAccess {
        do {
            return try AdminAccess(
                specs: [
                    .viewer: config.admin.viewers, .operator: config.admin.operators, .admin: config.admin.admins,
                    .auditor: config.admin.auditors,
                ])
        } catch {
            throw StartError(description: "admin roles: \(error)", isConfiguration: true)
        }
    }

    /// The admin socket's group (`admin.socket_group`, a name or a number), nil when not set.
    static func adminSocketGroup(_ config: SottoConfig) throws(StartError) -> UInt32? {
        guard !config.admin.socketGroup.isEmpty else { return nil }
        if let number = UInt32(config.admin.socketGroup) { return number }
        if let entry = getgrnam(config.admin.socketGroup) { return entry.pointee.gr_gid }
        throw StartError(
            description: "admin.socket_group: no group named \"\(config.admin.socketGroup)\"", isConfiguration: true)
    }

    /// The listener's certificate and, with mTLS, the CA that must have signed softphones' certificates.
    static func serverContext(_ config: SottoConfig, counters: TLSCounters) throws(StartError)
        -> TLSContext
    {
        do {
            return try TLSContext(
                .server(
                    certificateChainFile: config.sip.cert, privateKeyFile: config.sip.key,
                    // A client certificate is always asked for, so that the PBX's inbound connections can show
                    // theirs (upstream.trusted_names); only with mTLS is one required. One that does not verify
                    // is no identity and fails no handshake.
                    clientCAFile: config.sip.ca,
                    requireClientCertificate: config.sip.requireClientCert), counters: counters)
        } catch {
            throw StartError(description: "sip.cert/sip.key: \(error.reason)", isConfiguration: true)
        }
    }

    /// Toward the PBX: its certificate verified against `sip.ca` and its name, and the client certificate (mTLS)
    /// when one is configured.
    static func clientContext(_ config: SottoConfig, serverName: String) throws(StartError) -> TLSContext {
        do {
            return try TLSContext(
                .client(
                    serverName: config.upstream.tlsServerName ?? serverName, caFile: config.sip.ca,
                    certificateChainFile: config.upstream.clientCert.isEmpty ? nil : config.upstream.clientCert,
                    privateKeyFile: config.upstream.clientKey.isEmpty ? nil : config.upstream.clientKey))
        } catch {
            throw StartError(description: "upstream TLS: \(error.reason)", isConfiguration: true)
        }
    }

    static func resolve(_ address: HostPort?) throws(StartError) -> SocketAddress {
        guard let address else { throw StartError(description: "upstream.address is required", isConfiguration: true) }
        guard let resolved = Resolver.first(host: address.host, port: address.port) else {
            throw StartError(
                description: "upstream.address: \"\(address.host)\" does not resolve to an address",
                isConfiguration: true)
        }
        return resolved
    }

    /// Runs until SIGTERM/SIGINT; never returns.
    func run() -> Never {
        // SIG_IGN discards a signal the moment it is sent, and libdispatch arms a signal source later, on its own
        // thread: a SIGTERM in between (systemd stopping a unit it has just started, a test) would be lost and
        // the relay would never stop. So Sotto says it is running (and READY=1) only once every source is armed.
        let armed = DispatchGroup()
        for number in [SIGTERM, SIGINT, SIGHUP] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: server.loop.queue)
            source.setEventHandler { [self] in handle(signal: number) }
            armed.enter()
            source.setRegistrationHandler { armed.leave() }
            source.activate()
            signalSources.append(source)
        }
        if armed.wait(timeout: .now() + .seconds(10)) == .timedOut {
            logger.warning("the signal handlers were not armed within 10 s; a stop signal sent now may be lost")
        }
        recordings?.start()
        server.start()
        admin.start()
        logger.notice(
            "sotto is running",
            metadata: [
                "listen": "\(server.localAddress)", "pbx": "\(config.upstream.address.map(\.description) ?? "-")",
                "media": "\(config.media.ip) \(config.media.ports.lowerBound)-\(config.media.ports.upperBound)",
                "media-loops": "\(config.effectiveMediaLoops)",
                "suites": "\(config.media.suites.map(\.rawValue).joined(separator: ","))",
                "version": "\(SottoCommand.version)", "admin-socket": "\(config.admin.socket)",
            ])
        notifyReady()
        dispatchMain()
    }

    /// READY=1 once the SIP listener and the admin socket are bound and accepting (both bind in `init`), so that
    /// `systemctl start` returns when Sotto can take calls; then WATCHDOG=1 from the signalling loop at half of
    /// `WatchdogSec=`: a loop that stops turning stops the pings, and systemd restarts the relay.
    private func notifyReady() {
        guard notifier.isActive else { return }
        if !notifier.ready(status: "relaying; SIP on \(server.localAddress)") {
            logger.warning(
                "could not tell systemd Sotto is ready", metadata: ["socket": "\(notifier.socketPath ?? "-")"])
        }
        guard let microseconds = notifier.watchdogMicroseconds else { return }
        let interval = DispatchTimeInterval.microseconds(Int(min(microseconds / 2, UInt64(Int.max))))
        let timer = DispatchSource.makeTimerSource(queue: server.loop.queue)
        timer.schedule(deadline: .now() + interval, repeating: interval)
        timer.setEventHandler { [notifier] in notifier.watchdog() }
        timer.activate()
        watchdogTimer = timer
        logger.info("systemd watchdog on", metadata: ["interval-us": "\(microseconds)"])
    }

    private func handle(signal number: Int32) {
        switch number {
        case SIGHUP:
            reloadCertificates()
            admin.rotateAuditLog()
        default:
            if stopping {
                logger.notice("second stop signal: ending every call now")
                shutdown()
            } else {
                drain()
            }
        }
    }

    /// SIGTERM: no new calls; calls in progress may go on for `calls.drain_s`, then get BYE.
    private func drain() {
        stopping = true
        server.proxy.startDraining()
        notifier.stopping(status: "draining \(server.proxy.callCount) calls; new calls get 503")
        let deadline = DispatchTime.now() + .seconds(Int(config.calls.drain.components.seconds))
        logger.notice(
            "draining: new calls get 503",
            metadata: ["calls": "\(server.proxy.callCount)", "drain-s": "\(config.calls.drain.components.seconds)"])
        waitForCalls(until: deadline)
    }

    private func waitForCalls(until deadline: DispatchTime) {
        if server.proxy.callCount == 0 || DispatchTime.now() >= deadline {
            shutdown()
            return
        }
        server.loop.queue.asyncAfter(deadline: .now() + .milliseconds(250)) { [self] in
            waitForCalls(until: deadline)
        }
    }

    private func shutdown() {
        let remaining = server.proxy.callCount
        server.proxy.endAllCalls(reason: .shutdown)
        logger.notice("stopping", metadata: ["calls-ended": "\(remaining)"])
        // A moment for the BYEs to leave before the connections close.
        server.loop.queue.asyncAfter(deadline: .now() + .milliseconds(remaining > 0 ? 500 : 0)) { [self] in
            admin.stop()
            server.stop()
            // Open recordings get their last chunk and their index row before the process goes.
            recordings?.stop()
            exitAfterTeardowns(until: .now() + .seconds(5))
        }
    }

    /// Exits once every ended call's teardown line is written (its media session's final counters have come
    /// back), or at `deadline`, whichever is first.
    private func exitAfterTeardowns(until deadline: DispatchTime) {
        server.loop.queue.asyncAfter(deadline: .now() + .milliseconds(100)) { [self] in
            let pending = server.proxy.pendingTeardowns
            guard pending > 0 && DispatchTime.now() < deadline else {
                if pending > 0 {
                    logger.warning("exiting before every call's teardown line", metadata: ["calls": "\(pending)"])
                }
                exit(0)
            }
            exitAfterTeardowns(until: deadline)
        }
    }

    /// SIGHUP: the listener's certificate, key and CA, and the client certificate toward the PBX, are read
    /// again; open connections and calls are not touched (the next connection to the PBX uses the new client
    /// certificate). Both are loaded before either is swapped: a failure keeps the old ones and says why.
    private func reloadCertificates() {
        do {
            let context = try Self.serverContext(config, counters: serverCounters)
            let upstreamContext = try Self.clientContext(
                config, serverName: server.upstreamServerName)
            try server.replaceServerContext(context)
            try server.replaceUpstreamContext(upstreamContext)
            logger.notice(
                "certificates reloaded",
                metadata: ["cert": "\(config.sip.cert)", "upstream-client-cert": "\(config.upstream.clientCert)"])
        } catch {
            logger.error("certificates not reloaded; the old ones stay in use", metadata: ["reason": "\(error)"])
        }
    }
}

extension Logger.Level {
    init(_ level: LogLevel) {
        switch level {
        case .trace: self = .trace
        case .debug: self = .debug
        case .info: self = .info
        case .notice: self = .notice
        case .warning: self = .warning
        case .error: self = .error
        case .critical: self = .critical
        }
    }
}
