import Foundation
import Logging
import Media
import SIP
import SRTP
import SottoTestSupport
import Synchronization
import TLS
import Testing
import Transport

@testable import Proxy

/// What a ``SIPClient`` saw, written on its loop, read by the test.
final class ClientLog: Sendable {
    struct Seen {
        var handshakes = 0
        var text = ""
        var closes: [TCPCloseReason] = []
    }

    let seen = Mutex(Seen())
}

/// One TLS client of the signalling server over a real socket: what it received and how it ended.
final class SIPClient: Sendable {
    private let log = ClientLog()
    let stream: TLSStream

    init(port: UInt16, context: TLSContext) throws {
        let log = self.log
        stream = try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: port), context: context, loop: EventLoop(label: "test.phone"),
            logger: .none,
            handlers: TLSStreamHandlers(
                onHandshake: { _ in log.seen.withLock { $0.handshakes += 1 } },
                onData: { _, bytes in
                    log.seen.withLock { $0.text += String(decoding: bytes, as: UTF8.self) }
                    return bytes.count
                },
                onClose: { _, reason in log.seen.withLock { $0.closes.append(reason) } }))
    }

    var handshakes: Int { log.seen.withLock { $0.handshakes } }
    var text: String { log.seen.withLock { $0.text } }
    var closed: Bool { log.seen.withLock { !$0.closes.isEmpty } }

    func send(_ text: String) { stream.send(Array(text.utf8)) }
}

/// A ``SignallingServer`` on loopback over the fake media engine, with test certificates, stopped by the test.
struct SignallingFixture {
    let loop = EventLoop(label: "test.sip")
    let server: SignallingServer
    let certificates: TestCertificates

    init(
        upstreamPort: UInt16, limits: TCPLimits = TCPLimits(), keepAliveOnlyLimit: Duration = .seconds(7200),
        reconnect: (min: Duration, max: Duration) = (.milliseconds(500), .seconds(30))
    ) async throws {
        let certificates = try await TestCertificates.shared
        self.certificates = certificates
        try SRTPLibrary.start()
        let logger = Logger(label: "sotto.signalling.tests") { _ in SwiftLogNoOpLogHandler() }
        let proxy = SIPProxy(
            configuration: ProxyConfiguration(
                host: "127.0.0.1", port: 5061, suites: ProxyHarness.suites, mediaAddress: "127.0.0.1"),
            media: FakeMedia(), clock: SystemMediaClock(), logger: logger)
        let serverContext = try TLSContext(
            .server(
                certificateChainFile: certificates.serverECDSA.chain, privateKeyFile: certificates.serverECDSA.key,
                clientCAFile: certificates.caFile))
        let clientContext = try TLSContext(.client(serverName: "localhost", caFile: certificates.caFile))
        server = try SignallingServer(
            listen: SocketAddress(ip: "127.0.0.1", port: 0), serverContext: serverContext,
            upstream: .init(
                address: SocketAddress(ip: "127.0.0.1", port: upstreamPort), serverName: "localhost",
                context: clientContext, trustedIPs: [], reconnectMin: reconnect.min, reconnectMax: reconnect.max,
                keepAlive: .seconds(30)),
            proxy: proxy, loop: loop, limits: limits, sipLimits: SIPLimits(), keepAliveOnlyLimit: keepAliveOnlyLimit,
            logger: logger)
        server.start()
    }

    var port: UInt16 { server.localAddress.port }

    /// A softphone without a certificate.
    func phone() throws -> SIPClient {
        try SIPClient(
            port: port, context: TLSContext(.client(serverName: "localhost", caFile: certificates.caFile)))
    }
}

/// A port nothing listens on (bound, then closed).
func unusedPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
        }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return UInt16(bigEndian: address.sin_port)
}

/// The signalling server on real TLS sockets: the listener's keep-alive rule.
@Suite struct SignallingServerTests {
    static let options =
        "OPTIONS sip:127.0.0.1:5061 SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK-%@;rport\r\n"
        + "Max-Forwards: 70\r\nFrom: <sip:alice@pbx.test>;tag=a1\r\nTo: <sip:127.0.0.1:5061>\r\n"
        + "Call-ID: keepalive-%@\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"

    static func options(_ n: Int) -> String {
        options.replacingOccurrences(of: "%@", with: "\(n)")
    }

    /// A phone that only pings (RFC 5626 double CRLF) is closed once pings alone have kept it past the limit.
    @Test func keepAlivesAloneDoNotHoldAConnectionForEver() async throws {
        let fixture = try await SignallingFixture(
            upstreamPort: try unusedPort(), limits: TCPLimits(idleTimeout: .milliseconds(300)),
            keepAliveOnlyLimit: .milliseconds(600))
        defer { fixture.server.stop() }
        let phone = try fixture.phone()
        #expect(await eventually { phone.handshakes == 1 })
        let closed = await eventually(.seconds(5)) {
            phone.send("\r\n\r\n")
            try? await Task.sleep(for: .milliseconds(50))
            return phone.closed
        }
        #expect(closed, "pings every 50 ms held the connection for 5 s")
        #expect(fixture.server.counters.closed(.idleTimeout) == 1)
        #expect(phone.text.hasPrefix("\r\n"), "each ping is still answered")
    }

    /// Pings within the limit after a complete message keep the connection past the idle timeout, and bytes that
    /// never make a message do not.
    @Test func aCompleteMessageRestartsTheIdleTimerAndATrickleDoesNot() async throws {
        let fixture = try await SignallingFixture(
            upstreamPort: try unusedPort(), limits: TCPLimits(idleTimeout: .milliseconds(300)),
            keepAliveOnlyLimit: .seconds(60))
        defer { fixture.server.stop() }
        let phone = try fixture.phone()
        #expect(await eventually { phone.handshakes == 1 })
        phone.send(Self.options(1))
        #expect(await eventually { phone.text.contains("SIP/2.0 200 OK") })
        // Pings every 50 ms for a second: more than three idle timeouts, all within the keep-alive limit.
        for _ in 0..<20 {
            phone.send("\r\n\r\n")
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(!phone.closed)
        // The start of a message, a byte at a time, never finishes: it keeps nothing alive.
        let trickle = Array(Self.options(2).utf8)
        let closed = await eventually(.seconds(5)) {
            var index = 0
            while index < trickle.count - 4 && !phone.closed {
                phone.stream.send([trickle[index]])
                index += 1
                try? await Task.sleep(for: .milliseconds(50))
            }
            return phone.closed
        }
        #expect(closed)
        #expect(fixture.server.counters.closed(.idleTimeout) == 1)
    }
}
