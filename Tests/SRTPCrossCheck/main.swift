// srtp-crosscheck: one side of the SRTP cross-check tests.
//
// libsrtp2's type replacement is process-wide, so the tests run this helper once per backend
// (SOTTO_SRTP_CRYPTO=stock or openssl) and compare what each side produces and accepts:
//   srtp-crosscheck protect     writes every test packet, protected, to stdout
//   srtp-crosscheck unprotect   reads such packets from stdin, unprotects each and compares it with
//                               the plaintext it regenerates; prints "verified N, failed M"
// The packets are deterministic: every suite, RTP and RTCP, payload sizes 0...1400, with and
// without an MKI, each with a fixed test key (never a real one).
import Glibc
import SRTP

struct Case {
    let profile: SRTPProfile
    let withMKI: Bool

    static let all: [Case] = SRTPProfile.allCases.flatMap { profile in
        [Case(profile: profile, withMKI: false)] + (profile.supportsMKI ? [Case(profile: profile, withMKI: true)] : [])
    }

    var index: UInt8 { UInt8(Case.all.firstIndex { $0.profile == profile && $0.withMKI == withMKI }!) }

    /// Payload sizes: every size without an MKI, a spread with one.
    var sizes: [Int] { withMKI ? Array(stride(from: 0, through: 1400, by: 50)) : Array(0...1400) }

    func key() throws -> SRTPKeyMaterial {
        let seed = Int(index) * 7 + 1
        let key = (0..<profile.masterKeyLength).map { UInt8(truncatingIfNeeded: $0 * 31 + seed) }
        let salt = (0..<profile.masterSaltLength).map { UInt8(truncatingIfNeeded: $0 * 17 + seed * 3) }
        let mki = withMKI ? try SRTPMasterKeyIdentifier(value: 0x0102_0304, length: 4) : nil
        return try SRTPKeyMaterial(profile: profile, key: key, salt: salt, mki: mki)
    }
}

/// The plain packet for a case, kind (0 RTP, 1 RTCP) and payload size.
func plainPacket(_ testCase: Case, kind: UInt8, size: Int) -> [UInt8] {
    let ssrc = 0x5071_0000 | UInt32(testCase.index)
    func be32(_ v: UInt32) -> [UInt8] { [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: v >> $0) } }
    var packet: [UInt8]
    if kind == 0 {
        let seq = UInt16(size)
        packet = [0x80, 111, UInt8(seq >> 8), UInt8(seq & 0xFF)] + be32(UInt32(size) * 960) + be32(ssrc)
    } else {
        let words = UInt16((8 + size + 3) / 4 - 1)
        packet = [0x80, 200, UInt8(words >> 8), UInt8(words & 0xFF)] + be32(ssrc)
    }
    packet += (0..<size).map { UInt8(truncatingIfNeeded: $0 * 13 + size + Int(kind)) }
    return packet
}

/// Writes all bytes to a file descriptor (stdio's globals are not concurrency-safe in Swift 6).
func writeAll(_ bytes: [UInt8], to fd: Int32 = 1) {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        if written <= 0 { exit(3) }
        offset += written
    }
}

func report(_ message: String) {
    writeAll(Array("srtp-crosscheck: \(message)\n".utf8), to: 2)
}

func fail(_ message: String) -> Never {
    report(message)
    exit(2)
}

func protectAll() throws {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    defer { buffer.deallocate() }
    for testCase in Case.all {
        let context = try SRTPContext(key: testCase.key(), direction: .outbound)
        for kind: UInt8 in [0, 1] {
            for size in testCase.sizes {
                let plain = plainPacket(testCase, kind: kind, size: size)
                buffer.copyBytes(from: plain)
                let result =
                    kind == 0
                    ? context.protectRTP(buffer, length: plain.count)
                    : context.protectRTCP(buffer, length: plain.count)
                guard let length = result.length else {
                    fail("protect \(testCase.profile.rawValue) kind \(kind) size \(size): \(result)")
                }
                writeAll([
                    kind, testCase.index, UInt8(size >> 8), UInt8(size & 0xFF), UInt8(length >> 8),
                    UInt8(length & 0xFF),
                ])
                writeAll(Array(buffer[..<length]))
            }
        }
    }
}

func readExactly(_ count: Int) -> [UInt8]? {
    var bytes = [UInt8](repeating: 0, count: count)
    var got = 0
    while got < count {
        let n = bytes.withUnsafeMutableBytes { read(0, $0.baseAddress! + got, count - got) }
        if n <= 0 { return nil }
        got += n
    }
    return bytes
}

func unprotectAll() throws {
    let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    defer { buffer.deallocate() }
    var contexts: [UInt8: SRTPContext] = [:]
    var verified = 0
    var failed = 0
    while let header = readExactly(6) {
        let kind = header[0]
        let size = Int(header[2]) << 8 | Int(header[3])
        let length = Int(header[4]) << 8 | Int(header[5])
        guard Int(header[1]) < Case.all.count, let packet = readExactly(length) else { fail("truncated input") }
        let testCase = Case.all[Int(header[1])]
        if contexts[header[1]] == nil {
            contexts[header[1]] = try SRTPContext(key: testCase.key(), direction: .inbound)
        }
        let context = contexts[header[1]]!
        buffer.copyBytes(from: packet)
        let result =
            kind == 0 ? context.unprotectRTP(buffer, length: length) : context.unprotectRTCP(buffer, length: length)
        if let plainLength = result.length,
            Array(buffer[..<plainLength]) == plainPacket(testCase, kind: kind, size: size)
        {
            verified += 1
        } else {
            failed += 1
            report(
                "mismatch: \(testCase.profile.rawValue) mki \(testCase.withMKI) kind \(kind) size \(size): \(result)")
        }
    }
    writeAll(Array("verified \(verified), failed \(failed)\n".utf8))
    exit(failed == 0 ? 0 : 1)
}

do {
    let backend = try SRTPLibrary.start()
    report("backend \(backend.rawValue)")
    switch CommandLine.arguments.dropFirst().first {
    case "protect": try protectAll()
    case "unprotect": try unprotectAll()
    default: fail("usage: srtp-crosscheck protect|unprotect")
    }
} catch {
    fail("\(error)")
}
