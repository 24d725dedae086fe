import ArgumentParser
import Foundation
import Glibc
import SRTP

/// `sotto-loadgen`: plays softphones and a PBX at once and drives real calls through a relay.
struct LoadgenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sotto-loadgen",
        abstract: "Load-test a SIP-over-TLS + SRTP relay by playing both the softphones and the PBX.",
        discussion: "Exit status: 0 when every limit is met, 1 when failures, loss or integrity errors exceed them, "
            + "2 for bad arguments or a set-up failure. `sotto-loadgen pbx --help`: the PBX side alone, as a test PBX.")

    @Option(help: "The relay's SIP-over-TLS address (softphones connect here), IP:PORT. Not with --floor.")
    var relay: String?

    @Option(
        help: ArgumentHelp(
            "For the benchmark's floor relay only (Benchmarks/compare/floor_relay.c), instead of --relay: no SIP, "
                + "no TLS, no SRTP. A call takes a free port pair (FIRST+2k, FIRST+2k+1): its phone side sends "
                + "plain RTP to the first, its PBX side to the second, once latch packets have gone through; loss "
                + "and latency are measured as in a normal run. A real relay (Sotto) drops such unauthenticated "
                + "packets.",
            valueName: "IP:FIRST-LAST"))
    var floor: String?

    @Option(
        help: ArgumentHelp(
            "Where the PBX side listens (point the relay's upstream here), IP:PORT. Use another loopback "
                + "IP than the phones so the relay can tell them apart."))
    var listen: String = "127.0.0.2:5062"

    @Option(help: "The name the relay's certificate must carry (default: the relay's host).")
    var serverName: String?

    @Option(help: "IP the softphones' media sockets bind to.")
    var phoneIP: String = "127.0.0.1"

    @Option(help: "IP the PBX side's media sockets bind to (default: the --listen IP).")
    var pbxIP: String?

    @Option(help: "Calls to place in total (0: until --duration ends).")
    var calls: Int = 10

    @Option(help: "Calls up at once.")
    var concurrency: Int = 10

    @Option(help: "New calls per second (0: as fast as concurrency allows).")
    var rate: Double = 0

    @Option(help: "Seconds each call carries media before BYE.")
    var hold: Double = 5

    @Option(
        help: ArgumentHelp(
            "Seconds the answering side rings (180 sent) before its 200, as a queue does; 0 answers at once."))
    var ring: Double = 0

    @Option(
        help: ArgumentHelp(
            "Put each call on hold in the answer: sendonly (the answerer sends, the caller does not) or inactive "
                + "(neither sends). The report then expects those directions to carry nothing."))
    var holdDirection: String?

    @Option(help: "Seconds during which new calls start (0: no limit).")
    var duration: Double = 0

    @Option(help: "Codec: opus or pcmu.")
    var codec: String = "opus"

    @Option(help: "Opus target bitrate in bits per second (6000 to 510000).")
    var bitrate = 32_000

    @Option(help: "SRTP suite the softphones offer.")
    var suite: String = "AES_CM_128_HMAC_SHA1_80"

    @Option(
        help: ArgumentHelp(
            "Send steady tones instead of the sweep: the phones' and the PBX's frequency in Hz, e.g. 440,1000 "
                + "(a recording's export can then be checked channel by channel).",
            valueName: "PHONE_HZ,PBX_HZ"))
    var tones: String?

    @Option(help: "Packetisation in milliseconds (10, 20, 40 or 60).")
    var ptime: Int = 20

    @Option(help: "Softphones (TLS connections, distinct AORs); calls are spread over them.")
    var phones: Int = 50

    @Option(
        help: ArgumentHelp(
            "Media sockets per side (softphones, PBX), each shared by many streams; packets are told apart by "
                + "the relay port they come from."))
    var mediaSockets = 8

    @Option(help: "Write the report as JSON to this file.")
    var json: String?

    @Option(help: "Largest acceptable packet loss, in percent.")
    var maxLoss: Double = 0.1

    @Option(help: "Largest acceptable number of failed calls.")
    var maxFailures: Int = 0

    @Option(help: "Seconds to wait for the relay to connect to the PBX side before starting calls.")
    var readyTimeout: Double = 10

    @Flag(
        help: ArgumentHelp(
            "Each softphone REGISTERs through the relay before the calls; the PBX side acts as registrar "
                + "(stores each AOR's Contact and Path)."))
    var register = false

    @Option(
        help: ArgumentHelp(
            "With --register: each phone refreshes its registration every S seconds for the whole run "
                + "(0: registers once).", valueName: "S"))
    var registerEvery: Double = 0

    @Option(
        help: ArgumentHelp(
            "Who places the calls: outbound (softphone → PBX), inbound (PBX → softphone through the stored Path; "
                + "needs --register) or both (alternately)."))
    var direction: String = "outbound"

    @Option(
        help: ArgumentHelp(
            "The user part the softphones call (outbound calls): another PBX's extension, such as a test PBX's echo "
                + "(the calls then reach that PBX, not this PBX side)."))
    var callee: String = "pbx"

    @Flag(
        help: ArgumentHelp(
            "The callee echoes (with --callee, a test PBX's echo extension): each phone checks that its own audio "
                + "comes back, byte for byte; the report's phone→PBX direction is then the round trip."))
    var expectEcho = false

    @Option(help: "PEM certificate chain of the PBX side's TLS server (needed unless --floor).")
    var cert: String?

    @Option(help: "PEM private key of the PBX side's TLS server (needed unless --floor).")
    var key: String?

    @Option(help: "PEM CA bundle that verifies the relay's certificate (default: the system's).")
    var ca: String?

    /// Checks the options and turns them into settings.
    func settings() throws(LoadgenError) -> LoadgenSettings {
        var floorTarget: FloorTarget?
        if let floor {
            floorTarget = try FloorTarget.parse(floor)
            try checkFloorOptions()
        }
        let (relayHost, relayPort): (String, UInt16)
        if let floorTarget {
            (relayHost, relayPort) = (floorTarget.ip, floorTarget.firstPort)
        } else if let relay, cert != nil, key != nil {
            (relayHost, relayPort) = try splitHostPort(relay, option: "--relay")
        } else {
            throw LoadgenError("give --relay, --cert and --key (or, for the floor relay only, --floor)")
        }
        let (listenHost, listenPort) = try splitHostPort(listen, option: "--listen")
        guard let codec = Codec(rawValue: codec.lowercased()) else {
            throw LoadgenError("--codec must be opus or pcmu, not \"\(self.codec)\"")
        }
        guard SRTPProfile(rawValue: suite) != nil else {
            throw LoadgenError(
                "--suite must be one of \(SRTPProfile.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let direction = CallDirection(rawValue: direction.lowercased()) else {
            throw LoadgenError("--direction must be outbound, inbound or both, not \"\(self.direction)\"")
        }
        guard direction == .outbound || register else {
            throw LoadgenError(
                "--direction \(direction.rawValue) needs --register (the PBX side calls the phones' contacts)")
        }
        guard registerEvery >= 0, registerEvery == 0 || register else {
            throw LoadgenError("--register-every must not be negative, and needs --register")
        }
        guard [10, 20, 40, 60].contains(ptime) else { throw LoadgenError("--ptime must be 10, 20, 40 or 60") }
        guard (1...1024).contains(mediaSockets) else { throw LoadgenError("--media-sockets must be 1 to 1024") }
        guard (6_000...510_000).contains(bitrate) else { throw LoadgenError("--bitrate must be 6000 to 510000") }
        guard calls >= 0, concurrency >= 1, phones >= 1, rate >= 0, hold > 0, duration >= 0, maxLoss >= 0,
            maxFailures >= 0, readyTimeout >= 0
        else {
            throw LoadgenError(
                "--calls, --rate, --duration, --max-loss, --max-failures and --ready-timeout must not be negative; "
                    + "--concurrency and --phones at least 1; --hold above 0")
        }
        var holdDirection: HoldDirection?
        if let text = self.holdDirection {
            guard let parsed = HoldDirection(rawValue: text.lowercased()) else {
                throw LoadgenError("--hold-direction must be sendonly or inactive, not \"\(text)\"")
            }
            holdDirection = parsed
        }
        guard ring >= 0, ring <= 3600 else { throw LoadgenError("--ring must be 0 to 3600 seconds") }
        guard calls > 0 || duration > 0 else { throw LoadgenError("give --calls or --duration (or both)") }
        for (option, path) in [("--cert", cert ?? ""), ("--key", key ?? ""), ("--ca", ca ?? "")] where !path.isEmpty {
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw LoadgenError("\(option) \(path) cannot be read")
            }
        }
        guard !callee.isEmpty, callee.allSatisfy({ $0.isLetter || $0.isNumber || "-_.+".contains($0) }) else {
            throw LoadgenError("--callee must be a SIP user part (letters, digits, - _ . +)")
        }
        var settings = LoadgenSettings(
            relayHost: relayHost, relayPort: relayPort, serverName: serverName ?? relayHost, listenHost: listenHost,
            listenPort: listenPort, phoneIP: phoneIP, pbxIP: pbxIP ?? listenHost, calls: calls,
            concurrency: concurrency, rate: rate, holdSeconds: hold, durationSeconds: duration, codec: codec,
            suite: suite, ptimeMilliseconds: ptime, opusBitrate: bitrate, phones: phones, mediaSockets: mediaSockets,
            maxLossPercent: maxLoss,
            maxFailures: maxFailures,
            readyTimeoutSeconds: readyTimeout, certificate: cert ?? "", privateKey: key ?? "", caFile: ca,
            register: register, direction: direction, ringSeconds: ring, holdDirection: holdDirection,
            registerEverySeconds: registerEvery > 0 ? registerEvery : nil)
        settings.callee = callee == "pbx" ? nil : callee
        if let tones {
            let values = tones.split(separator: ",").compactMap { Double($0) }
            guard values.count == 2, values.allSatisfy({ $0 >= 50 && $0 <= 3_900 }) else {
                throw LoadgenError("--tones is two frequencies from 50 to 3900 Hz, phone's then PBX's: 440,1000")
            }
            settings.tones = Tones(phone: values[0], pbx: values[1])
        }
        settings.expectEcho = expectEcho
        guard !expectEcho || settings.callee != nil, direction == .outbound || !expectEcho else {
            throw LoadgenError("--expect-echo needs --callee (the echo extension) and --direction outbound")
        }
        if let floorTarget {
            guard concurrency <= floorTarget.pairs else {
                throw LoadgenError(
                    "--concurrency \(concurrency) exceeds the \(floorTarget.pairs) port pairs of --floor \(floor ?? "")"
                )
            }
            settings.floor = floorTarget
        }
        return settings
    }

    func run() throws {
        let settings: LoadgenSettings
        do {
            settings = try self.settings()
        } catch {
            throw Failure(message: "sotto-loadgen: \(error)", status: 2)
        }
        let report: LoadgenReport
        do {
            report = try Self.execute(settings)
        } catch {
            throw Failure(message: "sotto-loadgen: \(error)", status: 2)
        }
        print(report.text)
        if let json {
            do {
                try report.json().write(to: URL(fileURLWithPath: json))
            } catch {
                throw Failure(
                    message: "sotto-loadgen: the JSON report could not be written to \(json): \(error)", status: 2)
            }
        }
        if !report.passed { throw ExitCode(1) }
    }

    /// Runs the load test and builds its report.
    static func execute(_ settings: LoadgenSettings) throws(LoadgenError) -> LoadgenReport {
        signal(SIGPIPE, SIG_IGN)
        let run = try LoadRun(settings: settings)
        let progress = Progress(run: run)
        let cpuBefore = cpuSeconds()
        progress.start()
        try run.execute()
        progress.stop()
        let cpu = cpuSeconds() - cpuBefore
        let results = run.results
        let duration = Double(run.finishedAt &- run.runStart) / 1e9
        var report = LoadgenReport.make(
            settings: settings, results: results, latency: run.pump.latency, durationSeconds: duration,
            cpuSeconds: cpu, skipped: run.pump.skippedTotal,
            strays: run.pump.strays, registrations: run.registrationResults)
        if let refresh = run.loop.queue.sync(execute: { run.refresh }) {
            let (sent, refreshed, failures) = run.loop.queue.sync {
                (refresh.sent, refresh.refreshed, refresh.failuresByCause)
            }
            report.addRefreshes(sent: sent, refreshed: refreshed, failuresByCause: failures)
        }
        return report
    }

    static func cpuSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// An error with the exit status it maps to.
    struct Failure: Error, CustomStringConvertible {
        let message: String
        let status: Int32
        var description: String { message }
    }

    /// Parses, runs and exits: 2 for argument and set-up errors (ArgumentParser's own default is 64).
    static func entry(_ arguments: [String]) -> Int32 { runCommand(Self.self, arguments) }
}
