// admin-fixture-server: an AdminServer over FakeAdminBackend (SottoTestSupport), for the admin and sottoctl tests.
//
//   admin-fixture-server --socket PATH --audit PATH [--viewer SPEC]... [--operator SPEC]... [--admin SPEC]...
//                        [--auditor SPEC]... [--no-recording] [--socket-group GID] [--max-connections N] [--max-line-bytes N]
//                        [--max-pending-output BYTES] [--idle-timeout-ms N] [--audit-max-bytes N]
//                        [--log-level LEVEL]
//
// SPEC is uid:N, gid:N, user:NAME or group:NAME. --no-recording makes `record` refused as on a relay without
// [recording]. Prints "ready" on stdout once listening; exits (removing
// the socket) on SIGTERM, SIGINT or when stdin closes. Bad flags: a message on stderr and exit status 2.
// These flags are what sottoctl's tests rely on: keep them stable.
import Admin
import AdminProtocol
import Dispatch
import Logging
import SottoTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// The parsed flags.
struct Options {
    var socketPath = ""
    var auditPath = ""
    var specs: [AdminRole: [String]] = [:]
    var socketGroup: UInt32?
    var maxConnections = 16
    var maxLineBytes = 65536
    var maxPendingOutput = 1 << 20
    var idleTimeoutMs = 300_000
    var auditMaxBytes = 64 << 20
    var logLevel = Logger.Level.notice
    var recording = true

    static func parse(_ list: [String]) -> Options {
        var options = Options()
        var arguments = list[...]
        func value(_ flag: String) -> String {
            guard let next = arguments.popFirst() else { usage("\(flag) needs a value") }
            return next
        }
        func number(_ flag: String) -> Int {
            let text = value(flag)
            guard let parsed = Int(text), parsed > 0 else {
                usage("\(flag) needs a positive integer, not \"\(text)\"")
            }
            return parsed
        }
        while let flag = arguments.popFirst() {
            switch flag {
            case "--socket": options.socketPath = value(flag)
            case "--audit": options.auditPath = value(flag)
            case "--viewer": options.specs[.viewer, default: []].append(value(flag))
            case "--operator": options.specs[.operator, default: []].append(value(flag))
            case "--admin": options.specs[.admin, default: []].append(value(flag))
            case "--auditor": options.specs[.auditor, default: []].append(value(flag))
            case "--no-recording": options.recording = false
            case "--socket-group":
                let text = value(flag)
                guard let gid = UInt32(text) else { usage("--socket-group needs a numeric gid, not \"\(text)\"") }
                options.socketGroup = gid
            case "--max-connections": options.maxConnections = number(flag)
            case "--max-line-bytes": options.maxLineBytes = number(flag)
            case "--max-pending-output": options.maxPendingOutput = number(flag)
            case "--idle-timeout-ms": options.idleTimeoutMs = number(flag)
            case "--audit-max-bytes": options.auditMaxBytes = number(flag)
            case "--log-level":
                let text = value(flag)
                guard let level = Logger.Level(rawValue: text) else { usage("\"\(text)\" is not a log level") }
                options.logLevel = level
            default: usage("unknown flag \(flag)")
            }
        }
        if options.socketPath.isEmpty { usage("--socket is required") }
        if options.auditPath.isEmpty { usage("--audit is required") }
        return options
    }
}

func writeOut(_ fd: Int32, _ text: String) {
    let bytes = Array(text.utf8)
    _ = bytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
}

func usage(_ message: String) -> Never {
    writeOut(2, "admin-fixture-server: \(message)\n")
    writeOut(
        2,
        "usage: admin-fixture-server --socket PATH --audit PATH [--viewer SPEC]... [--operator SPEC]... "
            + "[--admin SPEC]... [--auditor SPEC]... [--no-recording] [--socket-group GID] [--max-connections N] [--max-line-bytes N] "
            + "[--max-pending-output BYTES] [--idle-timeout-ms N] [--audit-max-bytes N] [--log-level LEVEL]\n")
    exit(2)
}

func run() -> Never {
    let options = Options.parse(Array(CommandLine.arguments.dropFirst()))
    let access: AdminAccess
    do {
        access = try AdminAccess(specs: options.specs)
    } catch {
        usage(error.description)
    }
    var logger = Logger(label: "admin-fixture-server") { StreamLogHandler.standardError(label: $0) }
    logger.logLevel = options.logLevel
    let configuration = AdminServerConfiguration(
        socketPath: options.socketPath, access: access, auditLogPath: options.auditPath,
        socketGroup: options.socketGroup, maxConnections: options.maxConnections, maxLineBytes: options.maxLineBytes,
        maxPendingOutputBytes: options.maxPendingOutput, idleTimeout: .milliseconds(options.idleTimeoutMs),
        auditMaxBytes: options.auditMaxBytes)
    let server: AdminServer
    do {
        server = try AdminServer(
            configuration: configuration,
            backend: FakeAdminBackend(recordings: FakeRecordings(enabled: options.recording)), logger: logger)
    } catch {
        writeOut(2, "admin-fixture-server: \(error.reason)\n")
        exit(1)
    }
    server.start()

    let shutDown: @Sendable () -> Void = {
        server.stop()
        exit(0)
    }
    signal(SIGTERM, SIG_IGN)
    signal(SIGINT, SIG_IGN)
    var sources: [any DispatchSourceSignal] = []
    for number in [SIGTERM, SIGINT] {
        let source = DispatchSource.makeSignalSource(signal: number, queue: .main)
        source.setEventHandler(handler: shutDown)
        source.activate()
        sources.append(source)
    }
    // stdin closing (the test that started us went away) ends the fixture too.
    DispatchQueue.global().async {
        var buffer = [UInt8](repeating: 0, count: 256)
        while true {
            let count = read(0, &buffer, buffer.count)
            if count > 0 { continue }
            if count < 0, errno == EINTR { continue }
            break
        }
        DispatchQueue.main.async(execute: shutDown)
    }
    writeOut(1, "ready\n")
    withExtendedLifetime(sources) { dispatchMain() }
}

run()
