// The proxy's side of recording: the INVITE is asked about (and refused 503 when a call must be recorded and
// cannot be), the recorder hears of the call when its 2xx goes through, with its parties, headers and codecs,
// and hears of its end.
import Recording
import SIP
import SRTP
import Synchronization
import Testing

@testable import Proxy

final class FakeRecorder: CallRecorder {
    struct Established {
        var session: UInt64
        var info: CallRecordingInfo
        var decision: CallRecordingDecision
        var answerHeaders: [(name: String, value: String)]
    }
    let answer: CallRecordingAdmission
    let admitted = Mutex<[CallRecordingInfo]>([])
    let established = Mutex<[Established]>([])
    let ended = Mutex<[UInt64]>([])

    init(_ answer: CallRecordingAdmission) { self.answer = answer }

    func admit(_ call: CallRecordingInfo) -> CallRecordingAdmission {
        admitted.withLock { $0.append(call) }
        return answer
    }
    func established(
        session: UInt64, call: CallRecordingInfo, decision: CallRecordingDecision,
        answerHeaders: [(name: String, value: String)]
    ) {
        established.withLock {
            $0.append(Established(session: session, info: call, decision: decision, answerHeaders: answerHeaders))
        }
    }
    func ended(session: UInt64) { ended.withLock { $0.append(session) } }
}

@Suite struct ProxyRecordingTests {
    @Test func aCallThatMustBeRecordedAndCannotBeIsRefused503() throws {
        let recorder = FakeRecorder(.refuse("recording is required and the recording store is not writable"))
        let h = try ProxyHarness { $0.recorder = recorder }
        let alice = try AliceCall()
        h.fromA(alice.invite(sdp: alice.offer()))
        let sent = try h.take()
        #expect(h.summary(sent) == ["a: 503 Service Unavailable"])
        #expect(sent.first?.message.firstValue(of: "Warning")?.contains("recording is required") == true)
        #expect(h.media.snapshot().isEmpty, "no media session is left behind")
    }

    @Test func theRecorderHearsOfTheEstablishedCallAndItsEnd() throws {
        let recorder = FakeRecorder(.proceed(CallRecordingDecision(record: true, retentionDays: 30)))
        let h = try ProxyHarness { $0.recorder = recorder }
        var alice = try AliceCall()
        h.fromA(
            alice.request(
                "INVITE", branch: "z9hG4bK0b8e6c3f2a7d4e91", extra: "X-Sotto-Record: yes", body: alice.offer()))
        let invite = try h.forwardedINVITE()
        #expect(recorder.established.withLock { $0.isEmpty }, "nothing is recorded before the answer")
        let pbxKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        h.fromPBX(PBX.response(to: invite, 200, "OK", sdp: PBX.answer(key: pbxKey)))
        let ok = try h.expect(h.take(), ["a: 200 OK"])[0].message
        alice.learnDialog(from: ok)

        let admitted = try #require(recorder.admitted.withLock { $0.first })
        #expect(admitted.caller == "sip:alice@pbx.test" && admitted.callee == "sip:bob@pbx.test")
        #expect(admitted.requestURI == "sip:bob@pbx.test")
        #expect(admitted.headers.contains { $0.name == "X-Sotto-Record" && $0.value == "yes" })
        #expect(!admitted.headers.contains { $0.name == "Via" || $0.name == "CSeq" })
        let up = try #require(recorder.established.withLock { $0.first })
        #expect(up.decision == CallRecordingDecision(record: true, retentionDays: 30))
        #expect(up.info.codecs.count == 1)
        #expect(up.info.codecs.first?.contains { $0.name == "PCMU" && $0.payloadType == 0 } == true)
        let session = try #require(h.media.snapshot().first?.id)
        #expect(up.session == session)

        h.fromA(alice.request("BYE", branch: "z9hG4bK77aa02", cseq: alice.cseq + 1))
        _ = try h.take()
        #expect(recorder.ended.withLock { $0 } == [session])
    }
}
