import AdminProtocol
import ArgumentParser
import Foundation
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

    @Option(name: .long, help: "log.level: trace, debug, info, notice, warning, error or critical.")
    var logLevel: String?

    func run() throws {
        let overrides = ConfigOverrides(
            listen: listen, upstream: upstream, cert: cert, key: key, ca: ca, mediaIP: mediaIP,
            mediaPorts: mediaPorts, adminSocket: adminSocket, logLevel: logLevel)
        let resolved: SottoConfig
        do {
            resolved = try SottoConfig.resolve(
                configFile: config, overrides: overrides, cwd: FileManager.default.currentDirectoryPath)
        } catch {
            FileHandle.standardError.write(Data("sotto: \(error.description)\n".utf8))
            throw ExitCode(78)
        }
        let relay: Relay
        do {
            relay = try Relay(config: resolved)
        } catch {
            FileHandle.standardError.write(Data("sotto: \(error.description)\n".utf8))
            throw ExitCode(error.isConfiguration ? 78 : 1)
        }
        if checkConfig {
            print("\(config ?? "command line"): the configuration is valid")
            return
        }
        relay.run()
    }
}
