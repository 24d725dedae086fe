import Foundation
import SottoTestSupport
import Testing

/// Sotto's OpenSSL types against libsrtp2's stock types, byte for byte. The replacement is
/// process-wide, so each side runs in its own `srtp-crosscheck` child process.
@Suite(.serialized) struct CrossCheckTests {
    static func run(_ mode: String, backend: String, input: [UInt8]? = nil) async throws -> (
        status: Int32, output: [UInt8], log: String
    ) {
        var environment = ProcessInfo.processInfo.environment
        environment["SOTTO_SRTP_CRYPTO"] = backend
        let result = try await ChildProcess.run(
            BuildProducts.path("srtp-crosscheck"), [mode], environment: environment, input: input,
            timeout: .seconds(300))
        return (result.status, result.stdoutBytes, result.stderr)
    }

    @Test func stockAndSottoTypesAgreeByteForByte() async throws {
        let stock = try await Self.run("protect", backend: "stock")
        let sotto = try await Self.run("protect", backend: "openssl")
        #expect(stock.status == 0, "\(stock.log)")
        #expect(sotto.status == 0, "\(sotto.log)")
        #expect(stock.log.contains("backend stock"))
        #expect(sotto.log.contains("backend openssl"))
        // 6 suites x 2 (RTP, RTCP) x 1401 sizes, plus the MKI spread for the 4 suites that allow one.
        #expect(stock.output.count > 10_000_000)
        #expect(stock.output == sotto.output, "Sotto's types must produce exactly libsrtp2's packets")

        let stockReadsSotto = try await Self.run("unprotect", backend: "stock", input: sotto.output)
        let sottoReadsStock = try await Self.run("unprotect", backend: "openssl", input: stock.output)
        let expected = "verified \(6 * 2 * 1401 + 4 * 2 * 29), failed 0\n"
        #expect(String(decoding: stockReadsSotto.output, as: UTF8.self) == expected, "\(stockReadsSotto.log)")
        #expect(String(decoding: sottoReadsStock.output, as: UTF8.self) == expected, "\(sottoReadsStock.log)")
        #expect(stockReadsSotto.status == 0)
        #expect(sottoReadsStock.status == 0)
    }

    @Test func tamperedStreamIsCaught() async throws {
        let sotto = try await Self.run("protect", backend: "openssl")
        var tampered = sotto.output
        // Flip a bit in the first packet's payload (past the 6-byte record header and RTP header).
        tampered[6 + 12] ^= 0x01
        let result = try await Self.run("unprotect", backend: "stock", input: tampered)
        #expect(result.status == 1)
        #expect(String(decoding: result.output, as: UTF8.self).hasSuffix("failed 1\n"))
        #expect(result.log.contains("authFailed"))
    }

    @Test func unknownBackendIsRefused() async throws {
        let result = try await Self.run("protect", backend: "nss-please")
        #expect(result.status == 2)
        #expect(result.log.contains("SOTTO_SRTP_CRYPTO=nss-please names no backend"))
    }
}
