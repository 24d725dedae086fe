public import Recording

/// What the proxy tells recording, and the one thing it asks: may this call go on. The relay implements it over
/// the recording vault and the media engine (docs/recording.md); the proxy's tests use a fake. Every method is
/// called on the signalling loop and must return at once (no disk, no waiting on a media loop).
public protocol CallRecorder: AnyObject, Sendable {
    /// A new INVITE that passed every limit: whether it is to be recorded, or refused because it must be and
    /// cannot be (`recording.required`: the proxy answers `503` with the reason as a Warning).
    func admit(_ call: CallRecordingInfo) -> CallRecordingAdmission
    /// The call's 2xx went through: its media session is up. Recording starts now when `decision` says so; the
    /// recorder also keeps the call so that an operator may start it later (`sottoctl record start`).
    /// `answerHeaders` are the 2xx's, for rules on a header the PBX sets in its answer.
    func established(
        session: UInt64, call: CallRecordingInfo, decision: CallRecordingDecision,
        answerHeaders: [(name: String, value: String)])
    /// The call ended (any way): its recording, if any, is finished.
    func ended(session: UInt64)
}

/// What recording decided for a call on its INVITE.
public struct CallRecordingDecision: Sendable, Equatable {
    /// Whether the policy records it.
    public var record: Bool
    /// Days its recording is kept.
    public var retentionDays: Int

    /// A decision.
    public init(record: Bool, retentionDays: Int) {
        self.record = record
        self.retentionDays = retentionDays
    }
}

/// The answer to ``CallRecorder/admit(_:)``.
public enum CallRecordingAdmission: Sendable, Equatable {
    /// The call goes on, recorded or not.
    case proceed(CallRecordingDecision)
    /// The call must be recorded and cannot be: refused with `503` and this reason.
    case refuse(String)
}

/// What recording knows of a call: its parties, the headers rules may match, and its codecs.
public struct CallRecordingInfo: Sendable {
    public var callID: String
    /// The `From` URI.
    public var caller: String
    /// The `To` URI.
    public var callee: String
    public var requestURI: String
    /// The INVITE's headers other than the ones every request has (Via, From, To, ...), at most
    /// ``maximumHeaders`` of them, for rules on a header the PBX or a phone set.
    public var headers: [(name: String, value: String)]
    /// Per media stream of the session, its codecs as the first offer listed them.
    public var codecs: [[RecordedCodec]]

    /// The most headers kept per call (the first ones): bounded, whatever a peer sends.
    public static let maximumHeaders = 32

    /// Info about a call.
    public init(
        callID: String, caller: String, callee: String, requestURI: String, headers: [(name: String, value: String)],
        codecs: [[RecordedCodec]] = []
    ) {
        self.callID = callID
        self.caller = caller
        self.callee = callee
        self.requestURI = requestURI
        self.headers = headers
        self.codecs = codecs
    }
}
