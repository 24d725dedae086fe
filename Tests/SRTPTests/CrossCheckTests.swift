import Foundation
import Testing

/// Sotto's OpenSSL types against libsrtp2's stock types, byte for byte. The replacement is
/// process-wide, so each side runs in its own `srtp-crosscheck` child process.
@Suite(.serialized) struct CrossCheckTests {
    /// The helper sits beside the test bundle in the build products folder.
    static let helper: URL = {
        let products = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        return products.appendingPathComponent("srtp-crosscheck")
    }()

    static func run(_ mode: String, backend: String, input: Data? = nil) throws -> (
        status: Int32, output: Data, log: String
    ) {
        let process = Process()
        process.executableURL = helper
        process.arguments = [mode]
        var environment = ProcessInfo.processInfo.environment
        environment["SOTTO_SRTP_CRYPTO"] = backend
        process.environment = environment
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        try process.run()
        // Feed and drain concurrently so neither pipe fills up.
        let writer = Thread {
            if let input { stdin.fileHandleForWriting.write(input) }
            try? stdin.fileHandleForWriting.close()
        }
        writer.start()
        let logData = LockedData()
        let errReader = Thread { logData.set(stderr.fileHandleForReading.readDataToEndOfFile()) }
        errReader.start()
        let output = stdout.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !logData.isSet { usleep(1000) }
        return (process.terminationStatus, output, String(decoding: logData.value, as: UTF8.self))
    }

    @Test func stockAndSottoTypesAgreeByteForByte() throws {
        let stock = try Self.run("protect", backend: "stock")
        let sotto = try Self.run("protect", backend: "openssl")
        #expect(stock.status == 0, "\(stock.log)")
        #expect(sotto.status == 0, "\(sotto.log)")
        #expect(stock.log.contains("backend stock"))
        #expect(sotto.log.contains("backend openssl"))
        // 6 suites x 2 (RTP, RTCP) x 1401 sizes, plus the MKI spread for the 4 suites that allow one.
        #expect(stock.output.count > 10_000_000)
        #expect(stock.output == sotto.output, "Sotto's types must produce exactly libsrtp2's packets")

        let stockReadsSotto = try Self.run("unprotect", backend: "stock", input: sotto.output)
        let sottoReadsStock = try Self.run("unprotect", backend: "openssl", input: stock.output)
        let expected = "verified \(6 * 2 * 1401 + 4 * 2 * 29), failed 0\n"
        #expect(String(decoding: stockReadsSotto.output, as: UTF8.self) == expected, "\(stockReadsSotto.log)")
        #expect(String(decoding: sottoReadsStock.output, as: UTF8.self) == expected, "\(sottoReadsStock.log)")
        #expect(stockReadsSotto.status == 0)
        #expect(sottoReadsStock.status == 0)
    }

    @Test func tamperedStreamIsCaught() throws {
        let sotto = try Self.run("protect", backend: "openssl")
        var tampered = sotto.output
        // Flip a bit in the first packet's payload (past the 6-byte record header and RTP header).
        tampered[6 + 12] ^= 0x01
        let result = try Self.run("unprotect", backend: "stock", input: tampered)
        #expect(result.status == 1)
        #expect(String(decoding: result.output, as: UTF8.self).hasSuffix("failed 1\n"))
        #expect(result.log.contains("authFailed"))
    }

    @Test func unknownBackendIsRefused() throws {
        let result = try Self.run("protect", backend: "nss-please")
        #expect(result.status == 2)
        #expect(result.log.contains("SOTTO_SRTP_CRYPTO=nss-please names no backend"))
    }
}

/// A write-once box for a reader thread's result.
final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ value: Data) { lock.withLock { data = value } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}
