import SottoTestSupport
import TLS
import Testing

/// Real OpenSSL handshakes between Sotto's client and server over memory BIOs.
@Suite struct TLSConnectionTests {
    let certificates: TestCertificates

    init() async throws { certificates = try await TestCertificates.shared }

    enum KeyType: String, CaseIterable, Sendable {
        case ecdsa, rsa
    }

    func serverContext(
        _ keyType: KeyType = .ecdsa,
        requireClientCertificate: Bool = false,
        maximumVersion: TLSVersion = .v1_3
    ) throws -> TLSContext {
        let (chain, key) = keyType == .ecdsa ? certificates.serverECDSA : certificates.serverRSA
        return try TLSContext(
            .server(
                certificateChainFile: chain, privateKeyFile: key,
                clientCAFile: requireClientCertificate ? certificates.caFile : nil,
                requireClientCertificate: requireClientCertificate, maximumVersion: maximumVersion))
    }

    func clientContext(
        serverName: String = "localhost",
        caFile: String? = nil,
        withCertificate: Bool = false,
        maximumVersion: TLSVersion = .v1_3
    ) throws -> TLSContext {
        try TLSContext(
            .client(
                serverName: serverName, caFile: caFile ?? certificates.caFile,
                certificateChainFile: withCertificate ? certificates.client.chain : nil,
                privateKeyFile: withCertificate ? certificates.client.key : nil, maximumVersion: maximumVersion))
    }

    @Test(arguments: TLSVersion.allCases, KeyType.allCases)
    func handshakeAndEcho(version: TLSVersion, keyType: KeyType) throws {
        let server = try serverContext(keyType)
        let client = try clientContext(maximumVersion: version)
        let pair = try MemoryPair(client: client, server: server)
        let outcome = pair.handshake()
        #expect(outcome.client.isComplete && outcome.server.isComplete)
        #expect(pair.client.negotiatedVersion == version)
        #expect(pair.server.negotiatedVersion == version)
        let cipher = try #require(pair.client.cipherSuite)
        #expect(cipher.contains("GCM") || cipher.contains("CHACHA20"), "AEAD only, got \(cipher)")
        if version == .v1_2 {
            #expect(cipher.hasPrefix("ECDHE-\(keyType == .ecdsa ? "ECDSA" : "RSA")-"), "ECDHE only, got \(cipher)")
        }
        let message = Array("INVITE sip:bob@pbx.test SIP/2.0\r\n\r\n".utf8)
        #expect(MemoryPair.transfer(message, from: pair.client, to: pair.server) == .complete(message))
        #expect(MemoryPair.transfer(message, from: pair.server, to: pair.client) == .complete(message))
        #expect(server.counters.handshakesCompleted == 1)
        #expect(server.counters.handshakeFailures == 0)
    }

    @Test func wrongHostNameIsRefusedByTheClient() throws {
        let server = try serverContext()
        let client = try clientContext(serverName: "pbx.example.org")
        let pair = try MemoryPair(client: client, server: server)
        let outcome = pair.handshake()
        let error = try #require(outcome.client.error)
        #expect(error.code == .certificateVerificationFailed)
        #expect(error.reason.contains("hostname mismatch"), "\(error.reason)")
        #expect(error.reason.contains("server.test:5061"), "the sentence names the peer: \(error.reason)")
        #expect(client.counters.handshakeFailures == 1)
        #expect(pair.client.handshakeState == .failed)
    }

    @Test(arguments: [("127.0.0.1", true), ("::1", true), ("127.0.0.2", false)])
    func ipAddressesAreCheckedAgainstIPSANs(address: String, accepted: Bool) throws {
        let pair = try MemoryPair(client: clientContext(serverName: address), server: serverContext())
        let outcome = pair.handshake()
        #expect(outcome.client.isComplete == accepted)
        if !accepted {
            #expect(outcome.client.error?.reason.contains("IP address mismatch") == true)
        }
    }

    @Test func serverFromAnUntrustedCAIsRefused() throws {
        let client = try clientContext(caFile: certificates.otherCAFile)
        let pair = try MemoryPair(client: client, server: serverContext())
        let error = try #require(pair.handshake().client.error)
        #expect(error.code == .certificateVerificationFailed)
        #expect(error.reason.contains("unable to get local issuer certificate"), "\(error.reason)")
    }

    @Test(arguments: TLSVersion.allCases)
    func mutualTLSRefusesAClientWithoutCertificate(version: TLSVersion) throws {
        let server = try serverContext(requireClientCertificate: true)
        let pair = try MemoryPair(client: clientContext(maximumVersion: version), server: server)
        let outcome = pair.handshake()
        let error = try #require(outcome.server.error)
        #expect(error.code == .certificateVerificationFailed)
        #expect(error.reason.contains("peer did not return a certificate"), "\(error.reason)")
        #expect(server.counters.handshakeFailures == 1)
        // In TLS 1.3 the client finishes first and learns of the refusal on its next read.
        let clientSide = outcome.client.isComplete ? MemoryPair.read(pair.client).error : outcome.client.error
        #expect(clientSide != nil)
    }

    @Test(arguments: TLSVersion.allCases)
    func mutualTLSAcceptsAClientWithCertificate(version: TLSVersion) throws {
        let server = try serverContext(requireClientCertificate: true)
        let pair = try MemoryPair(client: clientContext(withCertificate: true, maximumVersion: version), server: server)
        let outcome = pair.handshake()
        #expect(outcome.server.isComplete && outcome.client.isComplete)
        #expect(pair.server.peerPresentedCertificate)
        #expect(MemoryPair.transfer([1, 2, 3], from: pair.client, to: pair.server) == .complete([1, 2, 3]))
    }

    @Test func closeSendsCloseNotify() throws {
        let pair = try MemoryPair(client: clientContext(), server: serverContext())
        pair.handshake()
        pair.client.close()
        #expect(pair.client.handshakeState == .closed)
        pair.server.feed(pair.client.takeCiphertextToSend())
        let error = try #require(MemoryPair.read(pair.server).error)
        #expect(error.code == .closedByPeer)
        #expect(pair.client.writePlaintext([1]).error?.code == .connectionClosed)
    }

    @Test func garbageIsAFailedHandshakeWithASentence() throws {
        let server = try serverContext()
        let connection = try TLSConnection(context: server, peer: "198.51.100.7:5555")
        connection.feed(Array("OPTIONS sip:x SIP/2.0\r\n\r\n".utf8))
        let error = try #require(connection.handshake().error)
        #expect(error.code == .handshakeFailed)
        #expect(error.reason.hasPrefix("the TLS handshake with 198.51.100.7:5555 failed: "), "\(error.reason)")
        #expect(error.openSSLReason?.isEmpty == false)
        #expect(server.counters.handshakeFailures == 1)
        #expect(connection.handshakeState == .failed)
    }

    @Test func plaintextWaitsForTheHandshake() throws {
        let pair = try MemoryPair(client: clientContext(), server: serverContext())
        #expect(pair.client.writePlaintext([1, 2]) == .incomplete)
        #expect(pair.client.handshake().isIncomplete)
        #expect(pair.client.pendingCiphertextCount > 0, "the ClientHello")
        #expect(pair.client.negotiatedVersion == nil)
    }

    @Test func recordsSplitAcrossFeedsStillArrive() throws {
        let pair = try MemoryPair(client: clientContext(), server: serverContext())
        pair.handshake()
        let message = [UInt8](repeating: 0x41, count: 40_000)
        #expect(pair.client.writePlaintext(message) == .complete(message.count))
        var received: [UInt8] = []
        for byte in pair.client.takeCiphertextToSend() {
            pair.server.feed([byte])
            if case .complete(let bytes) = MemoryPair.read(pair.server) { received += bytes }
        }
        #expect(received == message)
    }
}
