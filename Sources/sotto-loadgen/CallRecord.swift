/// One call's outcome, as it appears in the report's `perCall` list.
struct CallResult: Sendable, Codable, Equatable {
    var number: Int
    var callID: String
    /// Who placed the call: `outbound` (the softphone) or `inbound` (the PBX side).
    var direction = CallDirection.outbound
    /// The final status of the INVITE (200 for an answered call), or 0 when none came.
    var status: Int = 0
    /// Whether the call was set up, carried media and was torn down with a 200 to its BYE.
    var completed = false
    /// Why the call failed: `"SIP 503"`, `"connection lost"`, `"timeout"`, ...; nil when it completed.
    var failure: String?
    /// INVITE sent to the 200 received, in milliseconds.
    var setupMs: Double?
    /// INVITE sent to the caller's first valid media packet (the phone's for an outbound call, the PBX
    /// side's for an inbound one), in milliseconds.
    var firstMediaMs: Double?
    /// Index 0 phone → PBX, 1 PBX → phone.
    var directions: [DirectionResult] = [DirectionResult(), DirectionResult()]
    /// The answer's direction attribute as the caller got it through the relay (`sendrecv`, `sendonly`, ...).
    var answerDirection: String?
    /// The directions the answer put on hold (`--hold-direction`; index 0 phone → PBX, 1 PBX → phone): by
    /// design they carry nothing, and a packet seen in one is counted against the relay.
    var silentDirections: [Int] = []
    /// Whether a BYE made by the relay (before the caller hung up) reached the phone, and the PBX side.
    var relayByeToPhone = false
    var relayByeToPBX = false
}

/// The signalling side of one call; lives on the signalling loop.
final class Call: @unchecked Sendable {  // confined to the signalling loop
    enum State { case inviting, answered, stopping, byeSent, done }

    let number: Int
    let callID: String
    let phone: Softphone
    let media: CallMedia
    let direction: CallDirection
    let fromTag = SIPText.token(10)
    let inviteBranch = SIPText.branch()
    var state = State.inviting
    var result: CallResult
    var inviteSentAt: UInt64 = 0
    var phoneEndpoint: MediaEndpoint?
    var pbxEndpoint: MediaEndpoint?
    var toHeader = ""
    var routeSet: [String] = []
    var remoteTarget = ""
    var byeAnswered = false
    var mediaCollected = false
    var pbxMediaStarted = false
    var phoneMediaStarted = false
    /// The caller's side of the dialog (the phone outbound, the PBX side inbound): its Via sent-by, its
    /// From header, and the initial INVITE's Request-URI and Route set (a non-2xx ACK reuses them).
    var callerVia = ""
    var fromHeader = ""
    var inviteURI = ""
    var inviteRoutes: [String] = []
    /// `--floor`: the floor relay's port pair the call uses.
    var floorPair: Int?
    /// The softphone's To tag when it answers an inbound call.
    let answerTag = SIPText.token(10)

    init(number: Int, phone: Softphone, media: CallMedia, direction: CallDirection = .outbound) {
        self.number = number
        self.phone = phone
        self.media = media
        self.direction = direction
        self.callID = "lg-\(number)-\(SIPText.token(12))"
        self.result = CallResult(number: number, callID: callID, direction: direction)
    }

    var endpoints: [MediaEndpoint] { [phoneEndpoint, pbxEndpoint].compactMap { $0 } }
}

/// One softphone's REGISTER, as the report lists it.
struct RegistrationResult: Sendable, Codable, Equatable {
    var aor: String
    /// The final status of the REGISTER, or 0 when none came.
    var status = 0
    /// Why it failed: `"REGISTER 403"`, `"connection failed"`, `"timeout"`; nil when it got a 2xx.
    var failure: String?
    /// REGISTER sent to its final response, in milliseconds.
    var registerMs: Double?
}
