import Foundation
import Recording
import Synchronization

/// A clock a test moves by hand.
final class SweepClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        current = Mutex(start)
    }

    func now() -> Date { current.withLock { $0 } }

    func advance(days: Double) {
        current.withLock { $0 = $0.addingTimeInterval(days * 86_400) }
    }
}

/// What a sweeper reported to its audit closure.
final class SweepAudit: Sendable {
    private let lines = Mutex<[(id: String, text: String)]>([])

    var entries: [(id: String, text: String)] { lines.withLock { $0 } }

    func record(_ row: RecordingRow, _ text: String) {
        lines.withLock { $0.append((row.id, text)) }
    }
}

/// 300 random bytes standing in for a recording's sealed data keys: random, so finding them in a file means they
/// were left there.
func randomSealedKeys() -> Data {
    var generator = SystemRandomNumberGenerator()
    return Data((0..<300).map { _ in UInt8.random(in: 0...255, using: &generator) })
}

/// A row for tests, started at `started`, kept `days`.
func indexRow(
    started: Date, days: Int = 90, caller: String = "sip:+442071234567@pbx.example.com",
    callee: String = "sip:agent7@cc.example.com", state: RecordingState = .complete, keys: Data? = nil
) -> RecordingRow {
    RecordingRow(
        id: RecordingRow.newID(), callID: "call-\(UInt32.random(in: 0...UInt32.max))@example.com", caller: caller,
        callee: callee, requestURI: callee, started: started, codecs: "PCMU/8000",
        sealedKeys: keys ?? randomSealedKeys(),
        recipientKeyIDs: "a1b2c3d4e5f60718", retentionDays: days, state: state)
}

/// Whether `needle` occurs in `haystack`.
func containsRun(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
    guard !needle.isEmpty, haystack.count >= needle.count else { return false }
    for start in 0...(haystack.count - needle.count) where haystack[start] == needle[0] {
        if haystack[start..<(start + needle.count)].elementsEqual(needle) { return true }
    }
    return false
}
