import Foundation
import SottoTestSupport
import Synchronization
import TLS
import Testing
import Transport

/// Sotto's client against Sotto's server over real loopback sockets and real OpenSSL.
@Suite struct TLSStreamTests {
    let certificates: TestCertificates

    init() async throws { certificates = try await TestCertificates.shared }

    func clientContext(
        serverName: String = "localhost",
        withCertificate: Bool = false,
        maximumVersion: TLSVersion = .v1_3
    ) throws -> TLSContext {
        try TLSContext(
            .client(
                serverName: serverName, caFile: certificates.caFile,
                certificateChainFile: withCertificate ? certificates.client.chain : nil,
                privateKeyFile: withCertificate ? certificates.client.key : nil, maximumVersion: maximumVersion))
    }

    func connect(
        to server: TestServer,
        host: String = "127.0.0.1",
        context: TLSContext,
        recorder: Recorder,
        limits: TCPLimits = TCPLimits()
    ) throws -> TLSStream {
        try TLSStream.connect(
            to: SocketAddress(ip: host, port: server.port), context: context, loop: EventLoop(label: "test.client"),
            limits: limits, logger: recorder.logger, handlers: recorder.handlers())
    }

    @Test(arguments: TLSVersion.allCases)
    func echoBetweenSottoClientAndServer(version: TLSVersion) async throws {
        let server = try await TestServer()
        defer { server.listener.stop() }
        let client = Recorder()
        let stream = try connect(to: server, context: clientContext(maximumVersion: version), recorder: client)
        #expect(await eventually { client.handshakes == 1 })
        #expect(stream.tls.negotiatedVersion == version)
        let message = Array("REGISTER sip:pbx.test SIP/2.0\r\nContent-Length: 0\r\n\r\n".utf8)
        stream.send(message)
        #expect(await eventually { client.received == message })
        #expect(server.recorder.received == message)
        stream.close()
        #expect(await eventually { server.recorder.closes.map(\.kind) == [.closedByPeer] })
        #expect(client.closes.map(\.kind) == [.closedLocally])
        #expect(server.context.counters.handshakesCompleted == 1)
        #expect(await eventually { server.counters.connectionsOpen == 0 })
    }

    /// A peer that trusts by source address (Sotto trusts its PBX that way) sees the address the client bound.
    @Test func anOutboundConnectionComesFromTheAddressItWasGiven() async throws {
        let peers = Mutex<[String]>([])
        let server = try await TestServer(onHandshake: { stream in peers.withLock { $0.append(stream.peer.host) } })
        defer { server.listener.stop() }
        let recorder = Recorder()
        let stream = try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: server.port), from: SocketAddress(ip: "127.0.0.2", port: 0),
            context: clientContext(), loop: EventLoop(label: "test.client"), logger: recorder.logger,
            handlers: recorder.handlers())
        #expect(await eventually { recorder.handshakes == 1 })
        #expect(await eventually { peers.withLock { $0 } == ["127.0.0.2"] })
        stream.close()
    }

    @Test func aSourceAddressThatCannotBeBoundIsAClearError() async throws {
        let server = try await TestServer()
        defer { server.listener.stop() }
        #expect(throws: TransportError.self) {
            // 192.0.2.1 (TEST-NET-1) is on no interface of this machine.
            _ = try TLSStream.connect(
                to: SocketAddress(ip: "127.0.0.1", port: server.port), from: SocketAddress(ip: "192.0.2.1", port: 0),
                context: clientContext(), loop: EventLoop(label: "test.client"), handlers: Recorder().handlers())
        }
    }

    @Test func echoOverIPv6WhenLoopbackHasIt() async throws {
        guard let server = try? await TestServer(host: "::1") else { return }  // no IPv6 on this host
        defer { server.listener.stop() }
        #expect(server.listener.localAddress.family == .inet6)
        let client = Recorder()
        let stream = try connect(to: server, host: "::1", context: clientContext(serverName: "::1"), recorder: client)
        stream.send([0x0D, 0x0A, 0x0D, 0x0A])
        #expect(await eventually { client.received == [0x0D, 0x0A, 0x0D, 0x0A] })
        #expect(stream.peer.description == "[::1]:\(server.port)")
    }

    @Test func largeTransfersArriveWhole() async throws {
        let server = try await TestServer()
        defer { server.listener.stop() }
        let client = Recorder()
        let stream = try connect(to: server, context: clientContext(), recorder: client)
        let message = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        stream.send(message)
        #expect(await eventually { client.received.count == message.count })
        #expect(client.received == message)
    }

    @Test func wrongHostNameIsRefusedByTheClient() async throws {
        let server = try await TestServer()
        defer { server.listener.stop() }
        let client = Recorder()
        let context = try clientContext(serverName: "pbx.example.org")
        _ = try connect(to: server, context: context, recorder: client)
        #expect(await eventually { !client.closes.isEmpty })
        let reason = try #require(client.closes.first)
        #expect(reason.kind == .handshakeFailed)
        #expect(reason.detail.contains("certificate verification failed: hostname mismatch"), "\(reason.detail)")
        #expect(reason.detail.contains("127.0.0.1:\(server.port)"))
        #expect(client.handshakes == 0)
        #expect(context.counters.handshakeFailures == 1)
    }

    @Test func mutualTLSRefusesAClientWithoutCertificate() async throws {
        let server = try await TestServer(requireClientCertificate: true)
        defer { server.listener.stop() }
        let client = Recorder()
        _ = try connect(to: server, context: clientContext(), recorder: client)
        #expect(await eventually { server.counters.closed(.handshakeFailed) == 1 })
        #expect(server.context.counters.handshakeFailures == 1)
        #expect(server.recorder.handshakes == 0)
        // One sentence with the peer's address and OpenSSL's reason.
        let line = try #require(server.recorder.logs.first { $0.contains("handshake") })
        #expect(line.hasPrefix("the TLS handshake with 127.0.0.1:"), "\(line)")
        #expect(line.contains("peer did not return a certificate"), "\(line)")
        #expect(await eventually { !client.closes.isEmpty })
        #expect(client.received.isEmpty)
    }

    @Test func mutualTLSAcceptsAClientWithCertificate() async throws {
        let server = try await TestServer(requireClientCertificate: true)
        defer { server.listener.stop() }
        let client = Recorder()
        let stream = try connect(to: server, context: clientContext(withCertificate: true), recorder: client)
        stream.send(Array("OPTIONS".utf8))
        #expect(await eventually { client.received == Array("OPTIONS".utf8) })
        #expect(server.context.counters.handshakeFailures == 0)
    }

    /// The accepted stream carries the names of the client's verified certificate to its owner.
    @Test func anAcceptedStreamKnowsThePeersCertificateNames() async throws {
        let identities = Mutex<[TLSPeerIdentity]>([])
        let server = try await TestServer(
            requireClientCertificate: true,
            onHandshake: { stream in identities.withLock { $0.append(stream.peerIdentity) } })
        defer { server.listener.stop() }
        let context = try TLSContext(
            .client(
                serverName: "localhost", caFile: certificates.caFile,
                certificateChainFile: certificates.clientWithNames.chain,
                privateKeyFile: certificates.clientWithNames.key))
        let client = Recorder()
        let stream = try connect(to: server, context: context, recorder: client)
        #expect(await eventually { identities.withLock { $0.count } == 1 })
        let identity = try #require(identities.withLock { $0.first })
        #expect(identity.uris == ["sip:agent-2@example.com"])
        #expect(identity.dnsNames == ["agent-2.example.com"])
        #expect(identity.commonNames == ["agent-2"])
        #expect(await eventually { client.handshakes == 1 })
        #expect(stream.peerIdentity.dnsNames == ["localhost"])
        stream.close()
    }

    @Test func connectingToAClosedPortFailsWithTheSystemsWords() async throws {
        // Bind a port, then close it, so nothing listens there.
        let server = try await TestServer()
        let port = server.port
        server.listener.stop()
        try await Task.sleep(for: .milliseconds(20))
        let client = Recorder()
        _ = try TLSStream.connect(
            to: SocketAddress(ip: "127.0.0.1", port: port), context: clientContext(),
            loop: EventLoop(label: "test.client"), logger: client.logger, handlers: client.handlers())
        #expect(await eventually { !client.closes.isEmpty })
        #expect(client.closes.first?.kind == .connectFailed)
        #expect(client.closes.first?.detail.contains("Connection refused") == true)
    }

    @Test func addressesParseAndPrint() throws {
        #expect(try SocketAddress(ip: "127.0.0.1", port: 5061).description == "127.0.0.1:5061")
        #expect(try SocketAddress(ip: "0:0::1", port: 5061).description == "[::1]:5061")
        #expect(throws: TransportError.self) { try SocketAddress(ip: "pbx.test", port: 5061) }
    }
}
