import SottoTestSupport
import Testing

@testable import RTPWire

/// Produces `verdict` from a crafted input through the public API, returning what the API actually said.
///
/// The `switch` is exhaustive, so a new verdict does not compile until a test produces it.
func produce(_ verdict: RTPWireVerdict) -> RTPWireVerdict? {
    switch verdict {
    case .tooShort:
        return hex("80000000 00000000 000000").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .badVersion:
        return hex("40000000 00000000 00000000").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .csrcOverrun:
        // CC = 2 but only one CSRC.
        return hex("82000000 00000000 00000000 11111111").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .extensionHeaderOverrun:
        return hex("90000000 00000000 00000000 bede00").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .extensionOverrun:
        return hex("90000000 00000000 00000000 bede0001").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .extensionElementOverrun:
        let (_, _, verdict) = walkElements(hex("bede0001 3aaaaaaa"))
        return verdict
    case .badPadding:
        return hex("a0000000 00000000 00000000 aabb0000").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .paddingOverrun:
        return hex("a0000000 00000000 00000000 aabb0005").withUnsafeBytes { RTPHeader.parse($0).verdict }
    case .lengthOverrun:
        return hex("80c90002 11111111").withUnsafeBytes { RTCPCompound.validate($0).verdict }
    case .misplacedPadding:
        return hex("a0c90001 11111101 81cb0001 22222222").withUnsafeBytes { RTCPCompound.validate($0).verdict }
    case .bufferTooSmall:
        var out = [UInt8](repeating: 0, count: 11)
        return out.withUnsafeMutableBytes {
            RTPHeader.write(RTPHeaderFields(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0), into: $0)
                .verdict
        }
    case .fieldOutOfRange:
        var out = [UInt8](repeating: 0, count: 4)
        return out.withUnsafeMutableBytes { TelephoneEvent(event: 0, volume: 99, duration: 0).write(into: $0).verdict }
    }
}

@Suite("verdicts")
struct RTPWireVerdictTests {
    @Test("every verdict is produced by a crafted input", arguments: RTPWireVerdict.allCases)
    func everyVerdictIsReachable(_ verdict: RTPWireVerdict) {
        #expect(produce(verdict) == verdict)
    }

    @Test("raw values are distinct, stable and start at 1")
    func rawValues() {
        let raw = RTPWireVerdict.allCases.map(\.rawValue)
        #expect(raw == Array(1...UInt8(raw.count)))
    }

    @Test("a verdict can be thrown out of a result for set-up code")
    func get() {
        let result = RTPWireResult<Int>.malformed(.badVersion)
        #expect(throws: RTPWireVerdict.badVersion) { try result.get() }
        #expect(result.value == nil)
        #expect(RTPWireResult.ok(3).value == 3)
        #expect(RTPWireResult.ok(3).verdict == nil)
    }
}
