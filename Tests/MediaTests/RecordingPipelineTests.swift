import Crypto
import Foundation
import Logging
import Media
import SottoTestSupport
import Synchronization
import Testing
import Transport

@testable import Recording

/// The whole relay-side recording path with real sockets and real SRTP: packets relayed through the engine are
/// captured on its loop, drained by the vault, sealed on disk; a pause leaves a marked gap with nothing in it; the
/// officer's key reads back exactly what each leg sent.
@Suite(.serialized) struct RecordingPipelineTests {
    @Test func aPausedSpanHoldsNoAudioAndIsMarked() throws {
        var configuration = MediaEngine.Configuration(ports: 25400...25499, loops: 1)
        configuration.captureRingBytes = 1 << 20
        let engine = try MediaEngine(configuration: configuration)
        let directory = try TemporaryDirectory("sotto-pipeline")
        let identity = RecordingIdentity.generate()
        let index = try RecordingIndex(directory: directory.path)
        let store = try DirectoryStore(path: directory.path)
        let clock = SystemMediaClock()
        let vault = RecordingVault(
            configuration: RecordingVault.Configuration(), rings: engine.captureRings, catalog: index, store: store,
            recipients: try RecipientSet([identity.recipient]), monotonic: { clock.now() },
            logger: Logger(label: "pipeline") { _ in SwiftLogNoOpLogHandler() })
        vault.start()
        let phone = try Peer(ssrc: 0x91)
        let pbx = try Peer(ssrc: 0x92)
        let call = try MediaRelayTests.call(engine, phone: phone, pbx: pbx)
        let opened = Mutex<RecordingVault.Opened?>(nil)
        vault.begin(
            RecordingVault.Call(
                callID: "pipeline", caller: "sip:c@pbx.test", callee: "sip:a@pbx.test", requestURI: "sip:a@pbx.test",
                codecs: [[RecordedCodec(payloadType: 0, name: "PCMU", clockRate: 8000)]], retentionDays: 1)
        ) { result in opened.withLock { $0 = try? result.get() } }
        vault.queue.sync {}
        let recording = try #require(opened.withLock { $0 })
        engine.setCapture(session: call.id, handle: recording.handle, excluded: [101])
        engine.flush()

        func exchange(_ byte: UInt8) {
            MediaCaptureTests.send(phone, payloadType: 0, payload: Array(repeating: byte, count: 160), to: call.legA)
            _ = pbx.receive()
            MediaCaptureTests.send(
                pbx, payloadType: 0, payload: Array(repeating: byte | 0x80, count: 160), to: call.legB)
            _ = phone.receive()
        }
        for byte in UInt8(1)...5 { exchange(byte) }
        // Pause as the recorder does: capture stops on the loop, then the event is stamped.
        engine.setCapture(session: call.id, handle: 0) { vault.note(.paused, handle: recording.handle) }
        engine.flush()
        for byte in UInt8(0x31)...0x35 { exchange(byte) }  // a customer reading out a card number
        vault.note(.resumed, handle: recording.handle)
        engine.setCapture(session: call.id, handle: recording.handle, excluded: [101])
        engine.flush()
        for byte in UInt8(6)...8 { exchange(byte) }
        engine.setCapture(session: call.id, handle: 0) { vault.end(recording.handle) }
        engine.flush()
        vault.stop()
        engine.endSessionAndWait(call.id)

        let row = try #require(try index.row(id: recording.id))
        #expect(row.state == .complete)
        let sealed = try JSONDecoder().decode([SealedDataKey].self, from: try #require(row.sealedKeys))
        let key = try DataKeySealing.open(sealed, identity: identity, recordingID: recording.id)
        let read = ContainerReader.read(
            try store.read(row.fileName, maximumBytes: 1 << 24), dataKey: key, expectedID: recording.id)
        #expect(read.verdict == .complete)
        let entries = try RecordingRecords.decode(read.plaintext).entries
        var sequence: [String] = []
        for entry in entries {
            switch entry {
            case .packet(let packet):
                #expect(packet.payload.count == 160 && Set(packet.payload).count == 1)
                sequence.append("\(packet.leg == .softphone ? "agent" : "pbx") \(packet.payload[0] & 0x7F)")
            case .event(let event):
                sequence.append("\(event.kind)")
            }
        }
        let before = (1...5).flatMap { ["agent \($0)", "pbx \($0)"] }
        let after = (6...8).flatMap { ["agent \($0)", "pbx \($0)"] }
        #expect(sequence == before + ["paused", "resumed"] + after + ["stopped"])
        #expect(!sequence.contains { $0.hasSuffix(" 49") || $0.hasSuffix(" 53") }, "nothing of the paused span")
    }
}
