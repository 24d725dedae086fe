import Logging
import Media
import Proxy
import Recording
import SottoConfig
import Synchronization

/// Recording as the proxy and the admin socket see it, over the vault and the media engine: which calls are
/// recorded (the policy, on the INVITE and again with the answer's headers), starting capture once the vault has
/// opened a recording, pause and resume, and the end of a call. `recording.required`: a call that must be recorded
/// is refused while the vault cannot write, and ended if its recording fails (no recording, no call).
final class RelayRecorder: CallRecorder, @unchecked Sendable {
    /// One established call.
    private struct Entry {
        var info: CallRecordingInfo
        var retentionDays: Int
        /// Whether the policy recorded it (and therefore, with `required`, whether it must stay recorded).
        var byPolicy: Bool
        /// The vault's handle once its recording is open.
        var handle: UInt32?
        /// A recording is being opened.
        var opening = false
        var paused = false
    }

    /// `[recording]`: its mode, rules and retention decide per call; `required` makes a recorded call depend on it.
    let settings: SottoConfig.RecordingSettings
    var required: Bool { settings.required }
    let vault: RecordingVault
    let media: MediaEngine
    let logger: Logger
    private let calls = Mutex<[UInt64: Entry]>([:])
    /// Ends a call (BYE both ways) whose required recording failed; set once the proxy exists.
    private let endCall = Mutex<(@Sendable (UInt64) -> Void)?>(nil)

    init(settings: SottoConfig.RecordingSettings, vault: RecordingVault, media: MediaEngine, logger: Logger) {
        self.settings = settings
        self.vault = vault
        self.media = media
        self.logger = logger
    }

    /// Where calls whose required recording failed are ended.
    func setEndCall(_ end: @escaping @Sendable (UInt64) -> Void) { endCall.withLock { $0 = end } }

    /// The vault's failure handler: recording `handle` stopped because its file could not be written.
    func recordingFailed(handle: UInt32, reason: String) {
        let found = calls.withLock { calls -> (UInt64, Bool)? in
            guard let (session, entry) = calls.first(where: { $0.value.handle == handle }) else { return nil }
            calls[session]?.handle = nil
            return (session, entry.byPolicy)
        }
        guard let (session, byPolicy) = found else { return }
        media.setCapture(session: session, handle: 0)
        if required && byPolicy {
            logger.critical(
                "ALERT a call that must be recorded lost its recording and is ended",
                metadata: ["alert": "recording_required_failed", "session": "\(session)", "reason": "\(reason)"])
            endCall.withLock { $0 }?(session)
        }
    }

    // MARK: CallRecorder (on the signalling loop)

    func admit(_ call: CallRecordingInfo) -> CallRecordingAdmission {
        let decision = decide(call, headers: call.headers)
        if decision.record && required && !vault.isAvailable {
            logger.error(
                "ALERT a call that must be recorded was refused: the recording store cannot write",
                metadata: ["alert": "recording_unavailable", "call-id": "\(call.callID)"])
            return .refuse("this call must be recorded and the recording store cannot write; try again later")
        }
        return .proceed(CallRecordingDecision(record: decision.record, retentionDays: decision.retentionDays))
    }

    func established(
        session: UInt64, call: CallRecordingInfo, decision: CallRecordingDecision,
        answerHeaders: [(name: String, value: String)]
    ) {
        // A header the PBX sets in its answer (a call a phone placed) counts as much as one in the INVITE.
        let again = decide(call, headers: call.headers + answerHeaders)
        let record = decision.record || again.record
        let entry = Entry(
            info: call, retentionDays: decision.record ? decision.retentionDays : again.retentionDays,
            byPolicy: record)
        calls.withLock { $0[session] = entry }
        if record { open(session) }
    }

    func ended(session: UInt64) {
        guard let entry = calls.withLock({ $0.removeValue(forKey: session) }), let handle = entry.handle else { return }
        stopCapture(session: session, handle: handle)
    }

    // MARK: Operators (admin socket)

    /// What `sottoctl record` may do.
    enum Action: String {
        case start, stop, pause, resume
    }

    /// The result of an operator's action: the state after it, or why it was refused.
    enum ControlResult: Error, Equatable {
        case done(String)
        case noSession
        case refused(String)
    }

    func control(session: UInt64, action: Action) -> ControlResult {
        enum Step {
            case open, stop(UInt32), pause(UInt32), resume(UInt32)
        }
        let outcome = calls.withLock { calls -> Result<Step, ControlResult> in
            guard var entry = calls[session] else { return .failure(.noSession) }
            defer { calls[session] = entry }
            switch action {
            case .start:
                guard entry.handle == nil, !entry.opening else { return .failure(.refused("already recorded")) }
                entry.opening = true
                return .success(.open)
            case .stop:
                guard let handle = entry.handle else { return .failure(.refused("not recorded")) }
                if required && entry.byPolicy {
                    return .failure(
                        .refused("this call must be recorded (recording.required); pause it or end the call"))
                }
                entry.handle = nil
                entry.paused = false
                return .success(.stop(handle))
            case .pause:
                guard let handle = entry.handle else { return .failure(.refused("not recorded")) }
                guard !entry.paused else { return .failure(.refused("already paused")) }
                entry.paused = true
                return .success(.pause(handle))
            case .resume:
                guard let handle = entry.handle else { return .failure(.refused("not recorded")) }
                guard entry.paused else { return .failure(.refused("not paused")) }
                entry.paused = false
                return .success(.resume(handle))
            }
        }
        switch outcome {
        case .failure(let result): return result
        case .success(.open):
            open(session, alreadyMarked: true)
            return .done("recording")
        case .success(.stop(let handle)):
            stopCapture(session: session, handle: handle)
            return .done("stopped")
        case .success(.pause(let handle)):
            // Capture stops on the loop first; the pause event is stamped once no later packet can carry it.
            let vault = vault
            media.setCapture(session: session, handle: 0) { vault.note(.paused, handle: handle) }
            return .done("paused")
        case .success(.resume(let handle)):
            vault.note(.resumed, handle: handle)
            media.setCapture(session: session, handle: handle, excluded: excluded(session))
            return .done("recording")
        }
    }

    /// `recording` or `paused` for a recorded call (`sottoctl sessions`), nil otherwise.
    func state(session: UInt64) -> String? {
        calls.withLock { calls in
            guard let entry = calls[session], entry.handle != nil || entry.opening else { return nil }
            return entry.paused ? "paused" : "recording"
        }
    }

    // MARK: Private

    private func decide(_ call: CallRecordingInfo, headers: [(name: String, value: String)]) -> RecordingDecision {
        settings.decision(caller: call.caller, callee: call.callee, requestURI: call.requestURI) { name in
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }
    }

    private func excluded(_ session: UInt64) -> [UInt8] {
        calls.withLock { calls in
            (calls[session]?.info.codecs ?? []).flatMap { $0 }.filter {
                $0.name.lowercased() == "telephone-event"
            }.map(\.payloadType)
        }
    }

    private func open(_ session: UInt64, alreadyMarked: Bool = false) {
        guard
            let entry = calls.withLock({ calls -> Entry? in
                guard var entry = calls[session] else { return nil }
                if !alreadyMarked {
                    guard !entry.opening, entry.handle == nil else { return nil }
                    entry.opening = true
                    calls[session] = entry
                }
                return entry
            })
        else { return }
        let call = RecordingVault.Call(
            callID: entry.info.callID, caller: entry.info.caller, callee: entry.info.callee,
            requestURI: entry.info.requestURI, codecs: entry.info.codecs, retentionDays: entry.retentionDays)
        vault.begin(call) { [self] result in
            switch result {
            case .success(let opened):
                let live = calls.withLock { calls -> Bool in
                    guard calls[session] != nil else { return false }
                    calls[session]?.opening = false
                    calls[session]?.handle = opened.handle
                    return true
                }
                guard live else {
                    // The call ended while its recording was being opened.
                    vault.end(opened.handle)
                    return
                }
                if !media.setCapture(session: session, handle: opened.handle, excluded: excluded(session)) {
                    vault.end(opened.handle)
                }
                logger.info("recording", metadata: ["session": "\(session)", "recording": "\(opened.id)"])
            case .failure(let error):
                let byPolicy = calls.withLock { calls -> Bool in
                    calls[session]?.opening = false
                    return calls[session]?.byPolicy ?? false
                }
                logger.error(
                    "ALERT a call could not be recorded",
                    metadata: ["alert": "recording_failed", "session": "\(session)", "reason": "\(error.reason)"])
                if required && byPolicy { endCall.withLock { $0 }?(session) }
            }
        }
    }

    /// Stops capture on the loop, then ends the recording once no later packet can carry its handle.
    private func stopCapture(session: UInt64, handle: UInt32) {
        let vault = vault
        if !media.setCapture(session: session, handle: 0, applied: { vault.end(handle) }) {
            vault.end(handle)
        }
    }
}
