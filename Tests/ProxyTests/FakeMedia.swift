import Media
import SRTP
import Transport

/// A ``MediaControl`` that binds nothing: it hands out port numbers from a counter, records what each leg
/// was told, and holds session-ended events until the test delivers them (as the real engine's arrive
/// later, on the signalling loop). The proxy's unit tests run on it; the end-to-end tests use the real engine.
final class FakeMedia: MediaControl, @unchecked Sendable {
    /// What one leg was told.
    struct Leg {
        var declaredRTP: UDPAddress?
        var declaredRTCP: UDPAddress?
        var peerKey: SRTPKeyMaterial?
        var sottoKey: SRTPKeyMaterial?
        var direction: MediaDirection?
    }

    private struct Session {
        let id: UInt64
        let callID: String
        let ports: [MediaStreamPorts]
        /// Per stream: legs A and B.
        var legs: [[Leg]]
    }

    /// Sessions at once before `createSession` fails as the engine does with its pool empty.
    var capacity = 20
    /// The error `createSession` throws when over ``capacity``.
    var exhausted = MediaError(.portsExhausted, "the fake's pool is empty")
    private var sessions: [UInt64: Session] = [:]
    private var nextID: UInt64 = 1
    private var nextPort: UInt16 = 40000
    private var queued: [MediaSessionSnapshot] = []
    private var handler: (@Sendable (MediaSessionSnapshot) -> Void)?

    func createSession(callID: String, streams: [MediaStreamSpec]) throws(MediaError) -> MediaSessionPorts {
        guard sessions.count < capacity else { throw exhausted }
        let id = nextID
        nextID += 1
        let ports = streams.map { spec in
            let a = takePair()
            let b = takePair()
            return MediaStreamPorts(
                rtpA: a, rtpB: b, rtcpA: spec.rtcpMux ? nil : a + 1, rtcpB: spec.rtcpMux ? nil : b + 1)
        }
        sessions[id] = Session(
            id: id, callID: callID, ports: ports, legs: streams.map { _ in [Leg(), Leg()] })
        return MediaSessionPorts(id: id, ports: ports)
    }

    func updateLeg(_ update: MediaLegUpdate) throws(MediaError) {
        guard var session = sessions[update.session] else {
            throw MediaError(.unknownSession, "no media session \(update.session)")
        }
        guard session.legs.indices.contains(update.stream) else {
            throw MediaError(.unknownStream, "no stream \(update.stream)")
        }
        var leg = session.legs[update.stream][update.side.rawValue]
        if let value = update.declaredRTP { leg.declaredRTP = value }
        if let value = update.declaredRTCP { leg.declaredRTCP = value }
        if let value = update.peerKey { leg.peerKey = value }
        if let value = update.sottoKey { leg.sottoKey = value }
        if let value = update.direction { leg.direction = value }
        session.legs[update.stream][update.side.rawValue] = leg
        sessions[update.session] = session
    }

    func endSession(_ id: UInt64) {
        guard let session = sessions.removeValue(forKey: id) else { return }
        queued.append(snapshot(session, end: .requested))
    }

    func setSessionEndedHandler(_ handler: @escaping @Sendable (MediaSessionSnapshot) -> Void) {
        self.handler = handler
    }

    // MARK: For tests

    /// Sessions made since the start, ended ones included.
    var createdSessions: Int { Int(nextID) - 1 }

    /// Live sessions, oldest first.
    func snapshot() -> [MediaSessionSnapshot] {
        sessions.values.sorted { $0.id < $1.id }.map { snapshot($0, end: nil) }
    }

    /// What a leg of a live session was told.
    func leg(session index: Int = 0, stream: Int = 0, side: LegSide) -> Leg? {
        let live = sessions.values.sorted { $0.id < $1.id }
        guard live.indices.contains(index), live[index].legs.indices.contains(stream) else { return nil }
        return live[index].legs[stream][side.rawValue]
    }

    /// Ends a live session as the engine does by itself (`.idle` after the idle timeout).
    func endByItself(session index: Int = 0, end: MediaSessionEnd = .idle) {
        let live = sessions.values.sorted { $0.id < $1.id }
        guard live.indices.contains(index) else { return }
        sessions[live[index].id] = nil
        queued.append(snapshot(live[index], end: end))
    }

    /// Hands the session-ended events held so far to the handler; returns how many.
    @discardableResult
    func deliver() -> Int {
        let events = takeEnded()
        for event in events { handler?(event) }
        return events.count
    }

    /// The session-ended events held so far, for a test that delivers them itself.
    func takeEnded() -> [MediaSessionSnapshot] {
        defer { queued.removeAll() }
        return queued
    }

    private func takePair() -> UInt16 {
        defer { nextPort &+= 2 }
        return nextPort
    }

    private func snapshot(_ session: Session, end: MediaSessionEnd?) -> MediaSessionSnapshot {
        MediaSessionSnapshot(
            id: session.id, callID: session.callID, loop: 0, ageNanoseconds: 0, end: end,
            streams: session.legs.enumerated().map { index, legs in
                legs.enumerated().map { sideIndex, leg in
                    let ports = session.ports[index]
                    return MediaLegSnapshot(
                        side: sideIndex == 0 ? .a : .b, localRTPPort: sideIndex == 0 ? ports.rtpA : ports.rtpB,
                        declaredPeer: leg.declaredRTP?.description, latchedPeer: nil,
                        suite: leg.peerKey?.profile.rawValue, counters: LegCounters(), statistics: nil)
                }
            })
    }
}
