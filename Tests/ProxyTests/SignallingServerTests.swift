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

    init(port: UInt16, context: TLSContext, limits: TCPLimits = TCPLimits()) throws {
        let log = self.log
        stream = try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: port), context: context, loop: EventLoop(label: "test.phone"),
            limits: limits, logger: .none,
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
        reconnect: (min: Duration, max: Duration) = (.milliseconds(500), .seconds(30)),
        configure: (inout SignallingServer.Upstream) -> Void = { _ in },
        configureProxy: (inout ProxyConfiguration) -> Void = { _ in }
    ) async throws {
        let certificates = try await TestCertificates.shared
        self.certificates = certificates
        try SRTPLibrary.start()
        let logger = Logger(label: "sotto.signalling.tests") { _ in SwiftLogNoOpLogHandler() }
        var configuration = ProxyConfiguration(
            host: "127.0.0.1", port: 5061, suites: ProxyHarness.suites, mediaAddress: "127.0.0.1")
        // These tests drive the transport with floods of requests from one phone; the proxy's own limits per
        // connection (tested in ProxyLimitsTests) would answer them before they reach the PBX.
        configuration.limits.requestsPerSecondPerFlow = 0
        configuration.limits.requestsPerSecondPerAddress = 0
        configuration.limits.transactionsPerFlow = 0
        configureProxy(&configuration)
        let proxy = SIPProxy(
            configuration: configuration, media: FakeMedia(), clock: SystemMediaClock(), logger: logger)
        let serverContext = try TLSContext(
            .server(
                certificateChainFile: certificates.serverECDSA.chain, privateKeyFile: certificates.serverECDSA.key,
                clientCAFile: certificates.caFile))
        let clientContext = try TLSContext(.client(serverName: "localhost", caFile: certificates.caFile))
        var upstream = SignallingServer.Upstream(
            address: try SocketAddress(ip: "127.0.0.1", port: upstreamPort), serverName: "localhost",
            context: clientContext, trustedIPs: [], reconnectMin: reconnect.min, reconnectMax: reconnect.max,
            keepAlive: .seconds(30))
        configure(&upstream)
        server = try SignallingServer(
            listen: SocketAddress(ip: "127.0.0.1", port: 0), serverContext: serverContext, upstream: upstream,
            proxy: proxy, loop: loop, limits: limits, sipLimits: SIPLimits(), keepAliveOnlyLimit: keepAliveOnlyLimit,
            logger: logger)
        server.start()
    }

    var port: UInt16 { server.localAddress.port }

    /// A softphone, without a certificate unless given one.
    func phone(certificate: (chain: String, key: String)? = nil, limits: TCPLimits = TCPLimits()) throws -> SIPClient {
        try SIPClient(
            port: port,
            context: TLSContext(
                .client(
                    serverName: "localhost", caFile: certificates.caFile, certificateChainFile: certificate?.chain,
                    privateKeyFile: certificate?.key)),
            limits: limits)
    }
}

/// The connections a ``TestPBX`` stopped reading.
final class PausedStreams: Sendable {
    let streams = Mutex<[TLSStream]>([])
}

/// A PBX for the tests: a TLS listener on a given port that records what arrives, optionally requiring a client
/// certificate, optionally not reading once its handshake is done (until ``resume()``).
final class TestPBX: Sendable {
    let loop = EventLoop(label: "test.pbx")
    let listener: TCPListener
    private let log = ClientLog()
    private let paused = PausedStreams()

    init(port: UInt16, requireClientCertificate: Bool = false, stopReading: Bool = false) async throws {
        let certificates = try await TestCertificates.shared
        let context = try TLSContext(
            .server(
                certificateChainFile: certificates.serverECDSA.chain, privateKeyFile: certificates.serverECDSA.key,
                clientCAFile: certificates.caFile, requireClientCertificate: requireClientCertificate))
        let log = self.log
        let paused = self.paused
        listener = try TCPListener(
            address: SocketAddress(ip: "127.0.0.1", port: port), context: context, loop: loop,
            limits: TCPLimits(maxInputBytes: 1 << 24), logger: .none
        ) { _ in
            TLSStreamHandlers(
                onHandshake: { stream in
                    log.seen.withLock { $0.handshakes += 1 }
                    if stopReading {
                        stream.pauseReading()
                        paused.streams.withLock { $0.append(stream) }
                    }
                },
                onData: { _, bytes in
                    log.seen.withLock { $0.text += String(decoding: bytes, as: UTF8.self) }
                    return bytes.count
                },
                onClose: { _, reason in log.seen.withLock { $0.closes.append(reason) } })
        }
        listener.start()
    }

    var handshakes: Int { log.seen.withLock { $0.handshakes } }
    var text: String { log.seen.withLock { $0.text } }

    /// Reads again on every connection it stopped reading.
    func resume() {
        let streams = paused.streams.withLock { $0 }
        loop.execute {
            for stream in streams { stream.resumeReading() }
        }
    }

    func stop() { listener.stop() }
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

    static func register(_ n: Int, body: Int = 0) -> String {
        "REGISTER sip:pbx.test SIP/2.0\r\nVia: SIP/2.0/TLS 127.0.0.1:5062;branch=z9hG4bK-reg-\(n);rport\r\n"
            + "Max-Forwards: 70\r\nFrom: <sip:alice@pbx.test>;tag=r\(n)\r\nTo: <sip:alice@pbx.test>\r\n"
            + "Call-ID: register-\(n)\r\nCSeq: \(n) REGISTER\r\nContact: <sip:alice@127.0.0.1:5062;transport=tls>\r\n"
            + (body > 0 ? "Content-Type: text/plain\r\n" : "") + "Content-Length: \(body)\r\n\r\n"
            + String(repeating: "x", count: body)
    }

    /// The PBX comes up after Sotto has given up on it for a while (its backoff timer is seconds away): the first
    /// request triggers a connection at once and waits for it, instead of getting 503 until the timer fires.
    @Test func aRequestWaitsForAPBXThatComesUpLate() async throws {
        let pbxPort = try unusedPort()
        let fixture = try await SignallingFixture(
            upstreamPort: pbxPort, reconnect: (.milliseconds(50), .seconds(60)))
        defer { fixture.server.stop() }
        // Attempts at 0, 50, 150, 350, 750 ms and 1.55 s failed: the next one is 1.6 s after the last.
        #expect(await eventually { fixture.server.upstreamCounters.closed(.connectFailed) >= 6 })
        let pbx = try await TestPBX(port: pbxPort)
        defer { pbx.stop() }
        let phone = try fixture.phone()
        #expect(await eventually { phone.handshakes == 1 })
        phone.send(Self.register(1))
        #expect(await eventually(.seconds(1)) { pbx.text.contains("REGISTER sip:pbx.test") })
        #expect(!phone.text.contains("503"), "\(phone.text)")
    }

    /// With the PBX really down, the request still gets its 503, at once when the attempt fails.
    @Test func aRequestGets503WhenThePBXIsReallyDown() async throws {
        let fixture = try await SignallingFixture(upstreamPort: try unusedPort())
        defer { fixture.server.stop() }
        let phone = try fixture.phone()
        #expect(await eventually { phone.handshakes == 1 })
        phone.send(Self.register(1))
        #expect(await eventually { phone.text.contains("SIP/2.0 503") })
    }

    /// A PBX that stops reading: softphones are no longer read once half the upstream bound waits, instead of the
    /// upstream connection being closed at the bound; when the PBX reads again, every request reaches it.
    @Test func aSlowPBXGetsBackPressureNotAClose() async throws {
        let pbxPort = try unusedPort()
        let pbx = try await TestPBX(port: pbxPort, stopReading: true)
        defer { pbx.stop() }
        // The listener's own output bound is smaller than the upstream's: the upstream connection must not use it.
        let fixture = try await SignallingFixture(upstreamPort: pbxPort, limits: TCPLimits(maxOutputBytes: 16_384)) {
            $0.maxPendingOutputBytes = 65_536
        }
        defer { fixture.server.stop() }
        #expect(await eventually { pbx.handshakes == 1 })
        let phone = try fixture.phone(limits: TCPLimits(maxOutputBytes: 1 << 28))
        #expect(await eventually { phone.handshakes == 1 })
        // 600 requests of 50 kB: far more than the kernel's socket buffers take between Sotto and the PBX.
        let count = 600
        for n in 1...count {
            phone.send(Self.register(n, body: 50_000))
        }
        try await Task.sleep(for: .seconds(2))
        #expect(fixture.server.upstreamCounters.closed(.outputLimit) == 0)
        pbx.resume()
        #expect(
            await eventually(.seconds(30)) {
                pbx.text.components(separatedBy: "REGISTER sip:pbx.test").count - 1 == count
            })
        #expect(fixture.server.upstreamCounters.closed(.outputLimit) == 0)
        #expect(!phone.closed)
    }

    /// An inbound connection from a trusted address is the PBX only with a certificate naming it: the PBX may
    /// address Sotto's own phones' flows (here: none by that name, so 404), a softphone's request goes upstream
    /// (here: down, so 503).
    @Test func theInboundPBXIsRecognisedByItsCertificateName() async throws {
        let fixture = try await SignallingFixture(upstreamPort: try unusedPort()) {
            $0.trustedIPs = ["127.0.0.1"]
            $0.trustedNames = ["agent-2.example.com"]
            $0.connectWait = .zero
        }
        defer { fixture.server.stop() }
        let named = try fixture.phone(certificate: fixture.certificates.clientWithNames)
        let anonymous = try fixture.phone()
        let otherName = try fixture.phone(certificate: fixture.certificates.client)
        let otherCA = try fixture.phone(certificate: fixture.certificates.clientFromOtherCA)
        for client in [named, anonymous, otherName, otherCA] {
            #expect(await eventually { client.handshakes == 1 })
            client.send(Self.options(7).replacingOccurrences(of: "sip:127.0.0.1:5061", with: "sip:bob@pbx.test"))
        }
        #expect(await eventually { named.text.contains("SIP/2.0 404") }, "\(named.text)")
        #expect(await eventually { anonymous.text.contains("SIP/2.0 503") }, "\(anonymous.text)")
        #expect(await eventually { otherName.text.contains("SIP/2.0 503") }, "\(otherName.text)")
        #expect(await eventually { otherCA.text.contains("SIP/2.0 503") }, "the right name from the wrong CA")
    }

    /// SIGHUP's new client certificate toward the PBX is used by the next connection: a PBX that requires one
    /// refuses Sotto until the new context (with a certificate) replaces the old one (without).
    @Test func aReplacedUpstreamContextIsUsedByTheNextConnection() async throws {
        let pbxPort = try unusedPort()
        let pbx = try await TestPBX(port: pbxPort, requireClientCertificate: true)
        defer { pbx.stop() }
        let fixture = try await SignallingFixture(
            upstreamPort: pbxPort, reconnect: (.milliseconds(50), .milliseconds(100)))
        defer { fixture.server.stop() }
        #expect(
            await eventually {
                fixture.server.upstreamCounters.closed(.handshakeFailed)
                    + fixture.server.upstreamCounters.closed(.closedByPeer)
                    + fixture.server.upstreamCounters.closed(.tlsError) >= 1
            })
        #expect(pbx.handshakes == 0)
        let certificates = fixture.certificates
        try fixture.server.replaceUpstreamContext(
            TLSContext(
                .client(
                    serverName: "localhost", caFile: certificates.caFile,
                    certificateChainFile: certificates.client.chain, privateKeyFile: certificates.client.key)))
        #expect(await eventually { pbx.handshakes == 1 })
    }

    /// What waits for the PBX is bounded in count and bytes, leaves in order, and a closed flow's messages go.
    @Test func heldMessagesAreBoundedAndLeaveInOrder() {
        var held = HeldMessages(maxCount: 3, maxBytes: 10)
        let accepted = [
            held.hold([1, 2, 3], from: 1, until: 10), held.hold([4, 5, 6], from: 2, until: 20),
            held.hold([7, 8, 9, 10, 11], from: 1, until: 30), held.hold([12], from: 3, until: 40),
            held.hold([13], from: 3, until: 50),
        ]
        #expect(accepted == [true, true, false, true, false], "the byte bound, then the count bound")
        #expect(held.takeExpired(now: 20).map(\.flow) == [1, 2])
        #expect(held.bytes == 1)
        held.drop(flow: 3)
        #expect(held.isEmpty && held.bytes == 0)
    }
}
