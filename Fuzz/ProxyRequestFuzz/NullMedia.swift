import Media

/// A ``MediaControl`` that binds nothing: ports come from a counter, leg updates are checked against the sessions
/// it knows, and session-ended events wait in a queue until the fuzz target hands them to the proxy (as the real
/// engine's reach the proxy later, on the signalling loop). The fuzz target makes one per input.
final class NullMedia: MediaControl, @unchecked Sendable {
    private var live: [UInt64: (callID: String, ports: [MediaStreamPorts])] = [:]
    private var nextID: UInt64 = 1
    private var nextPort: UInt16 = 40000
    private var ended: [MediaSessionSnapshot] = []
    private var handler: (@Sendable (MediaSessionSnapshot) -> Void)?

    /// Sessions at once before `createSession` fails as the engine does with its pool empty.
    let capacity = 8

    var liveSessions: Int { live.count }

    func createSession(callID: String, streams: [MediaStreamSpec]) throws(MediaError) -> MediaSessionPorts {
        guard live.count < capacity else { throw MediaError(.portsExhausted, "the fuzz pool is empty") }
        let id = nextID
        nextID += 1
        let ports = streams.map { spec in
            let a = nextPort
            let b = nextPort &+ 2
            nextPort = nextPort &+ 4
            return MediaStreamPorts(
                rtpA: a, rtpB: b, rtcpA: spec.rtcpMux ? nil : a + 1, rtcpB: spec.rtcpMux ? nil : b + 1)
        }
        live[id] = (callID, ports)
        return MediaSessionPorts(id: id, ports: ports)
    }

    func updateLeg(_ update: MediaLegUpdate) throws(MediaError) {
        guard let session = live[update.session] else {
            throw MediaError(.unknownSession, "no media session \(update.session)")
        }
        guard session.ports.indices.contains(update.stream) else {
            throw MediaError(.unknownStream, "no stream \(update.stream)")
        }
    }

    func endSession(_ id: UInt64) {
        guard let session = live.removeValue(forKey: id) else { return }
        ended.append(
            MediaSessionSnapshot(
                id: id, callID: session.callID, loop: 0, ageNanoseconds: 0, end: .requested,
                streams: session.ports.map { ports in
                    [
                        MediaLegSnapshot(
                            side: .a, localRTPPort: ports.rtpA, declaredPeer: nil, latchedPeer: nil, suite: nil,
                            counters: LegCounters(), statistics: nil),
                        MediaLegSnapshot(
                            side: .b, localRTPPort: ports.rtpB, declaredPeer: nil, latchedPeer: nil, suite: nil,
                            counters: LegCounters(), statistics: nil),
                    ]
                }))
    }

    func setSessionEndedHandler(_ handler: @escaping @Sendable (MediaSessionSnapshot) -> Void) {
        self.handler = handler
    }

    /// Hands the session-ended events held so far to the handler.
    func deliver() {
        while !ended.isEmpty {
            let events = ended
            ended.removeAll()
            for event in events { handler?(event) }
        }
    }
}
