import SottoTestSupport
import TLS
import Testing

/// The names a verified peer certificate carries, read after real OpenSSL handshakes over memory BIOs.
@Suite struct TLSPeerIdentityTests {
    let certificates: TestCertificates

    init() async throws { certificates = try await TestCertificates.shared }

    func server(clientCA: Bool = true, require: Bool = false) throws -> TLSContext {
        try TLSContext(
            .server(
                certificateChainFile: certificates.serverECDSA.chain, privateKeyFile: certificates.serverECDSA.key,
                clientCAFile: clientCA ? certificates.caFile : nil, requireClientCertificate: require))
    }

    func client(_ certificate: (chain: String, key: String)?) throws -> TLSContext {
        try TLSContext(
            .client(
                serverName: "localhost", caFile: certificates.caFile, certificateChainFile: certificate?.chain,
                privateKeyFile: certificate?.key))
    }

    @Test(arguments: TLSVersion.allCases)
    func theServerSeesTheClientCertificatesNames(version: TLSVersion) throws {
        let clientContext = try TLSContext(
            .client(
                serverName: "localhost", caFile: certificates.caFile,
                certificateChainFile: certificates.clientWithNames.chain,
                privateKeyFile: certificates.clientWithNames.key, maximumVersion: version))
        let pair = try MemoryPair(client: clientContext, server: server(require: true))
        #expect(pair.server.peerIdentity == .none, "nothing before the handshake")
        let outcome = pair.handshake()
        #expect(outcome.server.isComplete && outcome.client.isComplete)
        #expect(
            pair.server.peerIdentity
                == TLSPeerIdentity(
                    uris: ["sip:agent-2@example.com"], dnsNames: ["agent-2.example.com"], commonNames: ["agent-2"]))
        #expect(
            pair.server.peerIdentity.description == "uri=sip:agent-2@example.com dns=agent-2.example.com cn=agent-2")
    }

    @Test func aCertificateWithoutSANsGivesItsCommonName() throws {
        let pair = try MemoryPair(client: client(certificates.client), server: server(require: true))
        #expect(pair.handshake().server.isComplete)
        #expect(pair.server.peerIdentity == TLSPeerIdentity(commonNames: ["agent-1"]))
    }

    @Test func theClientSeesTheServersNames() throws {
        let pair = try MemoryPair(client: client(nil), server: server())
        #expect(pair.handshake().client.isComplete)
        #expect(pair.client.peerIdentity.dnsNames == ["localhost"])
        #expect(pair.client.peerIdentity.ipAddresses == ["127.0.0.1", "::1"])
        #expect(pair.client.peerIdentity.commonNames == ["localhost"])
        #expect(pair.client.peerIdentity.uris.isEmpty)
    }

    @Test func noCertificateIsAnEmptyIdentity() throws {
        let pair = try MemoryPair(client: client(nil), server: server())
        #expect(pair.handshake().server.isComplete)
        #expect(pair.server.peerIdentity.isEmpty)
        #expect(pair.server.peerIdentity.description == "none")
    }

    /// A server that asks for a certificate without requiring one serves a client whose certificate does not
    /// verify (here one from another CA, with the same names) as if it had sent none.
    @Test func aCertificateThatDoesNotVerifyIsNoIdentity() throws {
        let pair = try MemoryPair(client: client(certificates.clientFromOtherCA), server: server())
        let outcome = pair.handshake()
        #expect(outcome.server.isComplete && outcome.client.isComplete)
        #expect(pair.server.peerPresentedCertificate)
        #expect(pair.server.peerIdentity == .none)
    }

    /// A server without a client CA asks for no certificate, so a client's certificate is never an identity there.
    @Test func aRequiredCertificateThatDoesNotVerifyFailsTheHandshake() throws {
        let pair = try MemoryPair(client: client(certificates.clientFromOtherCA), server: server(require: true))
        #expect(pair.handshake().server.error?.code == .certificateVerificationFailed)
    }

    @Test func aServerThatVerifiesNoClientsSeesNoIdentity() throws {
        let pair = try MemoryPair(client: client(certificates.clientWithNames), server: server(clientCA: false))
        #expect(pair.handshake().server.isComplete)
        #expect(pair.server.peerIdentity == .none)
    }
}
