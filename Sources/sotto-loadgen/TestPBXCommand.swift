import ArgumentParser
import Dispatch
import Foundation
import Glibc

/// `sotto-loadgen pbx`: the PBX side alone, a test PBX that a relay's upstream points at (`make run` starts one
/// when the development config's PBX is not there).
struct TestPBXCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sotto-loadgen pbx",
        abstract: "A test PBX for a relay's upstream: registrar, echo and tone extensions, over TLS and SRTP only.",
        discussion: "Listens for the relay's TLS connection and serves until SIGINT or SIGTERM. REGISTER is "
            + "accepted without authentication (Contact and Path are kept per AOR). An INVITE to an echo extension "
            + "gets the caller's audio back; to a tone extension, a 440 Hz tone in Opus, PCMU or PCMA; to any other "
            + "number 404; an offer that is not SRTP 488. Exit status: 0 after a signal, 2 for bad arguments or a "
            + "set-up failure.")

    @Option(help: "Where the test PBX listens for the relay (the relay's upstream address), IP:PORT.")
    var listen: String = "127.0.0.2:5062"

    @Option(help: "PEM certificate chain of the TLS server (with the name the relay checks for its upstream).")
    var cert: String

    @Option(help: "PEM private key of the TLS server.")
    var key: String

    @Option(
        help: ArgumentHelp(
            "IP the media sockets bind to (default: the --listen IP). Not the relay's own media IP: a relay may refuse "
                + "its own address outside its media ports as a peer."))
    var mediaIP: String?

    @Option(help: "Extensions that echo, comma-separated.")
    var echo: String = "echo,600"

    @Option(help: "Extensions that play a tone, comma-separated.")
    var tone: String = "tone,601"

    /// Checks the options and turns them into settings.
    func settings() throws(LoadgenError) -> TestPBX.Settings {
        let (host, port) = try splitHostPort(listen, option: "--listen")
        for (option, path) in [("--cert", cert), ("--key", key)] {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw LoadgenError("\(option) \(path) cannot be read")
            }
        }
        let split = { (text: String) in
            text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        let extensions = TestPBXExtensions(echo: split(echo), tone: split(tone))
        guard !extensions.echo.isEmpty || !extensions.tone.isEmpty else {
            throw LoadgenError("--echo and --tone are both empty: nothing could be called")
        }
        guard Set(extensions.echo.map { $0.lowercased() }).isDisjoint(with: extensions.tone.map { $0.lowercased() })
        else { throw LoadgenError("an extension is in both --echo and --tone") }
        return TestPBX.Settings(
            listenHost: host, listenPort: port, mediaIP: mediaIP ?? host, certificate: cert, privateKey: key,
            extensions: extensions)
    }

    func run() throws {
        let pbx: TestPBX
        do {
            pbx = try TestPBX(settings: settings())
        } catch {
            throw LoadgenCommand.Failure(message: "sotto-loadgen pbx: \(error)", status: 2)
        }
        signal(SIGPIPE, SIG_IGN)
        let stop = DispatchSemaphore(value: 0)
        var sources: [DispatchSourceSignal] = []
        for number in [SIGINT, SIGTERM] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { stop.signal() }
            source.resume()
            sources.append(source)
        }
        // Kept until the process exits: its connections, timer and loops hold it unowned, and the relay may still
        // write on a connection after SIGTERM; freed on the way out, a late callback would crash the process.
        Self.running = pbx
        do {
            try pbx.run(until: stop)
        } catch {
            throw LoadgenCommand.Failure(message: "sotto-loadgen pbx: \(error)", status: 2)
        }
        sources.forEach { $0.cancel() }
    }

    /// The PBX this process serves (see ``run()``).
    nonisolated(unsafe) private static var running: TestPBX?

    /// Parses and runs `sotto-loadgen pbx ARGUMENTS`; the exit statuses of ``LoadgenCommand/entry(_:)``.
    static func entry(_ arguments: [String]) -> Int32 { runCommand(Self.self, arguments) }
}
