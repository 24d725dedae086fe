/// One call's outcome, as it appears in the report's `perCall` list.
struct CallResult: Sendable, Codable, Equatable {
    var number: Int
    var callID: String
    /// The final status of the INVITE (200 for an answered call), or 0 when none came.
    var status: Int = 0
    /// Whether the call was set up, carried media and was torn down with a 200 to its BYE.
    var completed = false
    /// Why the call failed: `"SIP 503"`, `"connection lost"`, `"timeout"`, ...; nil when it completed.
    var failure: String?
    /// INVITE sent to the 200 received, in milliseconds.
    var setupMs: Double?
    /// INVITE sent to the phone's first valid media packet, in milliseconds.
    var firstMediaMs: Double?
    /// Index 0 phone → PBX, 1 PBX → phone.
    var directions: [DirectionResult] = [DirectionResult(), DirectionResult()]
}

/// The signalling side of one call; lives on the signalling loop.
final class Call: @unchecked Sendable {  // confined to the signalling loop
    enum State { case inviting, answered, stopping, byeSent, done }

    let number: Int
    let callID: String
    let phone: Softphone
    let media: CallMedia
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

    init(number: Int, phone: Softphone, media: CallMedia) {
        self.number = number
        self.phone = phone
        self.media = media
        self.callID = "lg-\(number)-\(SIPText.token(12))"
        self.result = CallResult(number: number, callID: callID)
    }

    var endpoints: [MediaEndpoint] { [phoneEndpoint, pbxEndpoint].compactMap { $0 } }
}
