import SottoTestSupport
import TLS
import Testing

/// Building contexts: what a configuration must contain, and failures that name the file.
@Suite struct TLSContextTests {
    let certificates: TestCertificates

    init() async throws { certificates = try await TestCertificates.shared }

    static let invalidConfigurations: [(String, TLSConfiguration)] = {
        var serverWithoutKey = TLSConfiguration.server(certificateChainFile: "a.pem", privateKeyFile: "a.key")
        serverWithoutKey.privateKeyFile = nil
        var serverWithoutChain = serverWithoutKey
        serverWithoutChain.certificateChainFile = nil
        var serverWithName = TLSConfiguration.server(certificateChainFile: "a.pem", privateKeyFile: "a.key")
        serverWithName.serverName = "pbx.test"
        var clientRequiringCertificate = TLSConfiguration.client(serverName: "pbx.test")
        clientRequiringCertificate.requireClientCertificate = true
        return [
            ("server without key", serverWithoutKey),
            ("server without certificate", serverWithoutChain),
            (
                "mTLS without CA",
                .server(certificateChainFile: "a.pem", privateKeyFile: "a.key", requireClientCertificate: true)
            ),
            ("server with a server name", serverWithName),
            ("client without server name", .client(serverName: "")),
            ("client requiring a client certificate", clientRequiringCertificate),
            ("client certificate without key", .client(serverName: "pbx.test", certificateChainFile: "c.pem")),
        ]
    }()

    @Test(arguments: invalidConfigurations)
    func invalidConfigurationsAreRefused(name: String, configuration: TLSConfiguration) {
        #expect(throws: TLSError(.invalidConfiguration, ""), "\(name)") { try TLSContext(configuration) }
    }

    @Test func missingCertificateFileIsNamed() throws {
        let path = certificates.directory + "/missing.pem"
        let error = #expect(throws: TLSError.self) {
            try TLSContext(.server(certificateChainFile: path, privateKeyFile: certificates.serverECDSA.key))
        }
        #expect(error?.code == .certificateLoadFailed)
        #expect(error?.reason.contains(path) == true)
        #expect(error?.openSSLReason != nil)
    }

    @Test func keyThatDoesNotMatchTheCertificateIsRefused() throws {
        let error = #expect(throws: TLSError.self) {
            try TLSContext(
                .server(
                    certificateChainFile: certificates.serverECDSA.chain, privateKeyFile: certificates.serverRSA.key))
        }
        #expect(error?.code == .privateKeyLoadFailed)
        #expect(error?.reason.contains("does not match") == true, "\(error?.reason ?? "")")
    }

    @Test func unreadableCAFileIsNamed() throws {
        let path = certificates.directory + "/no-such-ca.pem"
        let error = #expect(throws: TLSError.self) { try TLSContext(.client(serverName: "pbx.test", caFile: path)) }
        #expect(error?.code == .trustStoreLoadFailed)
        #expect(error?.reason.contains(path) == true)
    }

    @Test func theFloorIsTLS12AndTheListIsAEADWithECDHE() {
        #expect(TLSConfiguration.minimumVersion == .v1_2)
        #expect(TLSVersion.allCases.min() == .v1_2, "no version below 1.2 can even be named")
        for suite in TLSConfiguration.tls12CipherList.split(separator: ":") {
            #expect(suite.hasPrefix("ECDHE-"))
            #expect(suite.contains("GCM") || suite.contains("CHACHA20-POLY1305"))
        }
    }

    @Test func errorsCompareByCodeAndReadAsASentence() {
        let error = TLSError(.handshakeFailed, "the TLS handshake with 10.0.0.1:5061 failed: unsupported protocol")
        #expect(error == TLSError(.handshakeFailed, "another sentence"))
        #expect(error != TLSError(.protocolError, "the TLS handshake with 10.0.0.1:5061 failed: unsupported protocol"))
        #expect(error.description == "TLSError.handshakeFailed: " + error.reason)
    }
}
