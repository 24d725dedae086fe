import AdminProtocol
import ArgumentParser
import Foundation
import Glibc
import Logging
import SottoConfig

/// `sotto`: the relay. Parses flags, reads and checks the config, and runs until SIGTERM.
@main
struct SottoCommand: ParsableCommand {
    static let version = SottoVersion.current

    static let configuration = CommandConfiguration(
        commandName: "sotto",
        abstract: "SIP-over-TLS and SRTP media relay between softphones and a PBX.",
        discussion: """
            Every key of the config file is documented in conf/sotto.toml. Flags override the file.
            Exit status: 0 after a clean shutdown, 78 for a configuration error, 1 for any other failure \
            to start.
            """,
        version: version)

    @Option(name: .long, help: "The TOML config file (relative paths in it are taken from its directory).")
    var config: String?

    @Flag(name: .long, help: "Check the config (and load its certificates), print the result and exit.")
    var checkConfig = false

    @Option(name: .long, help: "sip.listen: the SIP-over-TLS listen address, IP:PORT.")
    var listen: String?

    @Option(name: .long, help: "upstream.address: the PBX, host:port (TLS only).")
    var upstream: String?

    @Option(name: .long, help: "sip.cert: PEM certificate chain.")
    var cert: String?

    @Option(name: .long, help: "sip.key: PEM private key.")
    var key: String?

    @Option(name: .long, help: "sip.ca: PEM CA bundle (verifies the PBX, and softphones with mTLS).")
    var ca: String?

    @Option(name: .long, help: "media.ip: the address media sockets bind to.")
    var mediaIP: String?

    @Option(name: .long, help: "media.ports: the UDP port range for media, LOW-HIGH.")
    var mediaPorts: String?

    @Option(name: .long, help: "admin.socket: the admin socket's path.")
    var adminSocket: String?

    @Option(name: .long, help: "admin.audit_log: the admin audit log's path.")
    var auditLog: String?

    @Option(name: .long, help: "log.level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    @Option(name: .long, help: "process.run_as_user: the account to switch to once the sockets are bound.")
    var runAsUser: String?

    @Option(name: .long, help: "process.run_as_group: its group (default: the user's primary group).")
    var runAsGroup: String?

    @Flag(name: .long, help: "process.allow_root: keep running as root (refused without this or --run-as-user).")
    var allowRoot = false

    func run() throws {
        // Before anything reads a key: no core file may ever hold one, and a closed pipe must not kill the relay.
        ProcessHardening.ignoreBrokenPipes()
        do {
            try ProcessHardening.disableCoreDumps()
        } catch {
            fail(error.description, status: 1)
        }
        let descriptorLimit = ProcessHardening.raiseDescriptorLimit()
        let overrides = ConfigOverrides(
            listen: listen, upstream: upstream, cert: cert, key: key, ca: ca, mediaIP: mediaIP,
            mediaPorts: mediaPorts, adminSocket: adminSocket, auditLog: auditLog, logLevel: logLevel,
            runAsUser: runAsUser,
            runAsGroup: runAsGroup, allowRoot: allowRoot ? true : nil)
        let resolved: SottoConfig
        let budget: DescriptorBudget
        let drop: PrivilegeDrop?
        do {
            resolved = try SottoConfig.resolve(
                configFile: config, overrides: overrides, cwd: FileManager.default.currentDirectoryPath)
            // Both depend on the host, not only on the file, so they are checked here rather than in validated().
            budget = try resolved.checkDescriptors(limit: descriptorLimit, loops: resolved.effectiveMediaLoops)
            drop = try resolved.privilegeDrop(
                euid: geteuid(), egid: getegid(), user: ProcessHardening.user, group: ProcessHardening.group)
        } catch {
            fail(error.description, status: 78)
        }
        let descriptors = "file descriptors: \(budget.limit); room for \(budget.callsThatFit) calls"
        if checkConfig {
            do {
                try Relay.check(config: resolved)
            } catch {
                fail(error.description, status: error.isConfiguration ? 78 : 1)
            }
            print("\(config ?? "command line"): the configuration is valid (\(descriptors))")
            return
        }
        let relay: Relay
        do {
            relay = try Relay(config: resolved, runAs: drop?.uid)
            // Bound (the SIP listener, the admin socket) and opened (the audit log): root is no longer needed.
            // Media ports are bound per call, and 1024 or above, so they never needed it.
            if let drop { try ProcessHardening.drop(to: drop) }
        } catch {
            fail(error.description, status: error.isConfiguration ? 78 : 1)
        }
        let logger = Logger(label: "sotto")
        logger.notice(
            "\(descriptors)",
            metadata: [
                "kept-for-connections": "\(budget.connections)", "kept-for-process": "\(budget.process)",
                "calls-allowed": "\(resolved.callsAllowed)",
            ])
        if let drop {
            logger.notice("running as \(drop.user)", metadata: ["uid": "\(drop.uid)", "gid": "\(drop.gid)"])
        }
        relay.run()
    }

    /// Writes `sotto: message` to standard error and exits with `status`.
    private func fail(_ message: String, status: Int32) -> Never {
        FileHandle.standardError.write(Data("sotto: \(message)\n".utf8))
        Foundation.exit(status)
    }
}
