#if canImport(Glibc)
    import Glibc
#endif

/// Tells the service manager how the process is doing, with systemd's notification protocol (sd_notify(3)):
/// one datagram of `KEY=VALUE` lines to the Unix socket named by `$NOTIFY_SOCKET`. Written here rather than
/// linked from libsystemd, which would be one more library in the package for a single `sendto`.
///
/// Under `Type=notify` systemd counts the service started only on `READY=1`, so `systemctl start` returns once
/// the listeners are bound; `STOPPING=1` says a stop has begun (the drain); `WATCHDOG=1`, sent at least once
/// per `WatchdogSec=`, proves the loop that sends it still turns. Without `$NOTIFY_SOCKET` (a shell, a
/// test, `Type=simple`) every call does nothing.
public struct ServiceNotifier: Sendable {
    /// The socket's path (`@` first for Linux's abstract namespace), nil when there is no service manager.
    public let socketPath: String?
    /// How often systemd expects `WATCHDOG=1` (`WatchdogSec=`), nil when it does not watch this process.
    public let watchdogMicroseconds: UInt64?

    /// A notifier from the variables systemd sets: `NOTIFY_SOCKET`, `WATCHDOG_USEC`, and `WATCHDOG_PID`
    /// (the watchdog applies only when that is this process, or unset).
    public static func fromEnvironment() -> ServiceNotifier {
        func variable(_ name: String) -> String? { getenv(name).map { String(cString: $0) } }
        return ServiceNotifier(
            socketPath: variable("NOTIFY_SOCKET"), watchdogMicroseconds: variable("WATCHDOG_USEC"),
            watchdogPID: variable("WATCHDOG_PID"), ownPID: Int(getpid()))
    }

    /// A notifier from those variables' values (for tests): an empty or unusable socket path, or a watchdog
    /// meant for another process, counts as none.
    public init(socketPath: String?, watchdogMicroseconds: String? = nil, watchdogPID: String? = nil, ownPID: Int) {
        // A path must fit sockaddr_un's 108 bytes; systemd only names paths that do.
        if let socketPath, !socketPath.isEmpty, socketPath.utf8.count < 108,
            socketPath.hasPrefix("/") || socketPath.hasPrefix("@")
        {
            self.socketPath = socketPath
        } else {
            self.socketPath = nil
        }
        let forUs = watchdogPID.map { Int($0) == ownPID } ?? true
        if self.socketPath != nil, forUs, let text = watchdogMicroseconds, let value = UInt64(text), value > 0 {
            self.watchdogMicroseconds = value
        } else {
            self.watchdogMicroseconds = nil
        }
    }

    /// Whether a service manager listens (`$NOTIFY_SOCKET` was set).
    public var isActive: Bool { socketPath != nil }

    /// `READY=1`: started, listeners bound; `status` goes along as `STATUS=` (shown by `systemctl status`).
    @discardableResult
    public func ready(status: String) -> Bool { send("READY=1\nSTATUS=\(Self.oneLine(status))") }

    /// `STOPPING=1`: a stop has begun; `status` says what is happening meanwhile.
    @discardableResult
    public func stopping(status: String) -> Bool { send("STOPPING=1\nSTATUS=\(Self.oneLine(status))") }

    /// `WATCHDOG=1`: still alive.
    @discardableResult
    public func watchdog() -> Bool { send("WATCHDOG=1") }

    /// Sends `state` as one datagram. Returns false when there is no service manager or the send failed (the
    /// caller logs it; a relay never stops for want of a notification).
    @discardableResult
    public func send(_ state: String) -> Bool {
        guard let socketPath else { return false }
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        // An abstract socket's name starts with a NUL byte, written `@` in the variable; its length is exact
        // (trailing bytes would be part of the name), so the address is passed with the name's length only.
        let abstract = path.first == UInt8(ascii: "@")
        if abstract { path[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.enumerated() where index < raw.count - 1 { raw[index] = byte }
        }
        let pathOffset = MemoryLayout<sockaddr_un>.offset(of: \.sun_path) ?? 2
        let length = socklen_t(pathOffset + path.count + (abstract ? 0 : 1))
        let bytes = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
                bytes.withUnsafeBytes { sendto(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), generic, length) }
            }
        }
        return sent == bytes.count
    }

    /// A status on one line: a newline would start another `KEY=VALUE` of the protocol.
    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
