import Media
import SIP
import SRTP

/// One traversal of a call through Sotto: one softphone flow, one media session.
///
/// A call between two agents through the PBX passes Sotto twice (A → Sotto → PBX → Sotto → B) with the same
/// Call-ID and tags, so a call is keyed by Call-ID *and* the softphone's flow token, and each traversal has
/// its own media session and keys.
final class ProxyCall {
    enum State: String {
        /// The INVITE is on its way; no final response yet.
        case setup
        /// A 2xx was forwarded: the dialog is up.
        case confirmed
    }

    /// An offer Sotto forwarded, waiting for its answer.
    struct PendingOffer {
        /// Who made the offer.
        let from: LegSide
        let plan: MediaPlan
        /// The keys Sotto offered to the other side, per stream, tags 1...n.
        let offeredKeys: [[SRTPKeyMaterial]]
        /// The key Sotto will give the offerer in the answer, per stream (nil for an inactive stream).
        let answerKeys: [SRTPKeyMaterial?]
        /// The direction the offer gave each stream (RFC 3264), for the media side's hold timeout.
        let directions: [MediaDirection]
    }

    /// What Sotto needs to end the dialog itself with BYE in either direction (media timeout, a lost
    /// connection, an answer without SRTP, shutdown).
    struct Dialog {
        let callerSide: LegSide
        let callerFrom: SIPNameAddress
        let calleeTo: SIPNameAddress
        let callerContact: SIPURI
        let calleeContact: SIPURI
        let routeTowardCaller: [SIPNameAddress]
        let routeTowardCallee: [SIPNameAddress]
        let inviteSequence: UInt32
    }

    static func key(callID: String, token: String) -> String { callID + " " + token }

    let callID: String
    let token: String
    let softphoneFlow: FlowID
    let callerSide: LegSide
    let from: String
    let to: String
    let created: UInt64
    /// The connection, address and address of record the call counts against (docs/security.md).
    let parties: AdmissionControl.CallParties
    var state = State.setup
    var answered: UInt64?
    var mediaSession: UInt64?
    /// The media session's ports, per m= line of the first offer; nil for a line refused or disabled there
    /// (it got no sockets).
    var ports: [MediaStreamPorts?] = []

    /// The media session's stream for m= line `index`: its position among the lines that have ports.
    func mediaStream(_ index: Int) -> Int? {
        guard ports.indices.contains(index), ports[index] != nil else { return nil }
        return ports[..<index].count { $0 != nil }
    }
    /// An offer waiting for its answer. Legs change only when the answer comes: a rejected re-offer leaves
    /// the media as it was (RFC 3264 §8).
    var pendingOffer: PendingOffer?
    /// Sotto's current key toward each side, per stream: kept across re-offers when the suite stays, which
    /// keeps the crypto context (RFC 4568 §7.1.4).
    var sottoKeys: [LegSide: [SRTPKeyMaterial?]] = [:]
    /// The suite in use toward each side, per stream (for logs).
    var suites: [LegSide: [String]] = [:]
    /// The initial INVITE's transactions.
    weak var inviteServer: ServerTransaction?
    weak var inviteClient: ClientTransaction?
    var dialog: Dialog?
    /// What recording knows of the call and what it decided on the INVITE (nil when recording is off).
    var recording: (info: CallRecordingInfo, decision: CallRecordingDecision)?
    /// The highest CSeq seen on requests from each side, so that a BYE Sotto makes is numbered above it.
    var highestCSeq: [LegSide: UInt32] = [:]

    var key: String { Self.key(callID: callID, token: token) }

    init(
        callID: String, token: String, softphoneFlow: FlowID, callerSide: LegSide, from: String, to: String,
        parties: AdmissionControl.CallParties, now: UInt64
    ) {
        self.callID = callID
        self.token = token
        self.softphoneFlow = softphoneFlow
        self.callerSide = callerSide
        self.from = from
        self.to = to
        self.created = now
        self.parties = parties
    }

    func noteCSeq(_ sequence: UInt32, from side: LegSide) {
        highestCSeq[side] = max(highestCSeq[side] ?? 0, sequence)
    }
}

extension LegSide {
    /// The side across the relay.
    var other: LegSide { self == .a ? .b : .a }
}
