import Media
import Testing

/// Snapshots are taken a chunk of sessions per visit to a loop (so that a large table never holds a loop for
/// long): every session is still in the result, once, in id order.
@Suite struct MediaSnapshotTests {
    @Test func aSnapshotOfManySessionsHasEachOnce() throws {
        let engine = try MediaEngine(
            configuration: MediaEngine.Configuration(ports: 42_000...42_999, loops: 2, batchSize: 8))
        var ids: [UInt64] = []
        for call in 0..<150 {
            ids.append(try engine.createSession(callID: "snap-\(call)", streams: [MediaStreamSpec(rtcpMux: true)]).id)
        }
        engine.flush()
        let snapshots = engine.snapshot()
        #expect(snapshots.map(\.id) == ids.sorted())
        #expect(Set(snapshots.map(\.loop)) == [0, 1])
        #expect(engine.loopStatistics().count == 2)
        for id in ids { engine.endSession(id) }
        engine.flush()
        #expect(engine.snapshot().isEmpty)
    }
}
