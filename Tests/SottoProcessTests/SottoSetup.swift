import Foundation
import Glibc
import SottoTestSupport

/// A directory for one real `sotto`: copies of the test certificates (readable by any user, so a relay started as
/// another user can read them), a `run` folder (sticky, writable by all) for the admin socket and the audit log, and a config
/// written from the parts a test chooses.
final class SottoSetup: Sendable {
    /// The uid and gid of `nobody` on Debian.
    static let nobody: UInt32 = 65534

    let directory: TemporaryDirectory
    let sipPort: UInt16
    let pbxPort: UInt16
    var run: String { directory.file("run") }
    var adminSocket: String { run + "/admin.sock" }
    var auditLog: String { run + "/audit.jsonl" }

    init() async throws {
        let certificates = try await TestCertificates.shared
        directory = try TemporaryDirectory("sotto-process")
        for name in ["ca.pem", "server-ec.pem", "server-ec.key"] {
            let copy = directory.file(name)
            try FileManager.default.copyItem(atPath: certificates.directory + "/" + name, toPath: copy)
            chmod(copy, 0o644)
        }
        let run = try directory.makeDirectory("run")
        // Sticky and writable by all, as /tmp: the relay that switches to nobody can still write the audit log
        // there, and the admin socket's directory check accepts it whoever Sotto runs as.
        chmod(run, 0o1777)
        sipPort = TCPPortHolder.freePort()
        pbxPort = TCPPortHolder.freePort()
    }

    /// Writes `sotto.toml` with media on `mediaPorts`, `extra` appended (more sections), and returns its path.
    func writeConfig(mediaPorts: String = "24000-24099", extra: String = "") throws -> String {
        let text = """
            [sip]
            listen = "127.0.0.1:\(sipPort)"
            cert = "server-ec.pem"
            key = "server-ec.key"
            ca = "ca.pem"
            [upstream]
            address = "127.0.0.2:\(pbxPort)"
            server_name = "localhost"
            [media]
            ip = "127.0.0.1"
            ports = "\(mediaPorts)"
            loops = 1
            [admin]
            socket = "\(adminSocket)"
            audit_log = "\(auditLog)"

            """ + extra
        return try directory.write("sotto.toml", text)
    }

    /// `sotto` with `arguments`, started through `launcher` (e.g. prlimit or setpriv and their flags) when given;
    /// standard error (the log) goes with standard output.
    func start(_ arguments: [String], launcher: [String] = []) throws -> ChildProcess {
        let command = launcher + [BuildProducts.path("sotto")] + arguments
        return try ChildProcess(command[0], Array(command.dropFirst()), stderr: .standardOutput)
    }

    /// `sotto` with `arguments` run to its end, through `launcher` when given.
    func runToEnd(_ arguments: [String], launcher: [String] = []) async throws -> ChildProcess.Result {
        let command = launcher + [BuildProducts.path("sotto")] + arguments
        return try await ChildProcess.run(command[0], Array(command.dropFirst()), stderr: .standardOutput)
    }

    /// A line of `/proc/PID/<file>` that starts with `prefix`, its fields split on white space after the prefix.
    static func procFields(_ pid: pid_t, _ file: String, _ prefix: String) -> [String] {
        let text = (try? String(contentsOfFile: "/proc/\(pid)/\(file)", encoding: .utf8)) ?? ""
        guard let line = text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) }) else { return [] }
        return line.dropFirst(prefix.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
    }

    /// The owner of `/proc/PID`'s files: the process's own uid when it is dumpable, root when it is not.
    static func procOwner(_ pid: pid_t) -> uid_t? {
        var info = stat()
        guard stat("/proc/\(pid)/status", &info) == 0 else { return nil }
        return info.st_uid
    }
}

/// A TCP socket bound (and listening) on 127.0.0.1, held until the value goes away: a port another process
/// cannot bind.
final class TCPPortHolder: Sendable {
    let port: UInt16
    private let fd: Int32

    /// Binds `port` (0: any free one) and listens.
    init(port: UInt16 = 0) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        self.fd = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(fd, pointer, length)
                _ = listen(fd, 1)
                return getsockname(fd, pointer, &length)
            }
        }
        self.port = UInt16(bigEndian: address.sin_port)
    }

    deinit { close(fd) }

    /// A port free now on 127.0.0.1.
    static func freePort() -> UInt16 { TCPPortHolder().port }
}
