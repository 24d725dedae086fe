import Media
import Recording
import SDP
import SIP
import SRTP
import Transport

/// The media policy (docs/architecture.md, rules 1 and 2): every SDP is checked for SRTP, the media session is made or
/// updated, and the SDP is rewritten to Sotto's address and ports with a fresh key for each leg.
extension CallController {
    /// Reads one SDP body from `side` and returns the body to forward. An offer makes (or re-uses) the
    /// media session and is forwarded with Sotto's keys; an answer sets both legs and is forwarded with
    /// Sotto's key for the offerer. `completes` is true for an answer that ends the exchange (2xx, ACK).
    ///
    /// Throws a 488 refusal (with the reason for a `Warning`) for SDP without usable SRTP.
    func negotiate(_ body: [UInt8], from side: LegSide, call: ProxyCall, role: SDPRole, completes: Bool)
        throws(ProxyRefusal) -> [UInt8]
    {
        let sdp: SDPSessionDescription
        do {
            sdp = try SDPSessionDescription(parsing: body)
        } catch {
            throw Self.notAcceptable("the SDP does not parse: \(error.reason)")
        }
        switch (role, call.pendingOffer) {
        case (.offer, _):
            return try offer(sdp, from: side, call: call)
        case (.answer, let pending?) where pending.from != side, (.either, let pending?) where pending.from != side:
            return try answer(sdp, to: pending, from: side, call: call, completes: completes)
        case (.answer, _):
            throw Self.notAcceptable("an answer came with no offer pending from the other side")
        case (.either, _):
            return try offer(sdp, from: side, call: call)
        }
    }

    /// What an SDP body can be where it stands (RFC 3261 §13.2.1, RFC 3262, RFC 3311).
    enum SDPRole {
        /// In an INVITE or UPDATE request: always a new offer, even while the other side's offer is
        /// pending (glare, RFC 3261 §14.1, is the UAs' to settle with 491).
        case offer
        /// In an ACK: only ever the answer to an offer in the 2xx.
        case answer
        /// In a response or a PRACK: the answer when the other side has an offer pending, else an offer.
        case either
    }

    static func notAcceptable(_ reason: String) -> ProxyRefusal {
        ProxyRefusal(status: 488, reason: "Not Acceptable Here", warning: reason, isMediaPolicy: true)
    }

    /// The media policy alone, with nothing made or changed: what ``negotiate(_:from:call:role:completes:)``
    /// would refuse an offer for. Used when the request cannot go on anyway (the PBX is down), so that the
    /// answer is the policy's `488` rather than a `503` that invites a retry elsewhere.
    func checkPolicy(_ body: [UInt8], from side: LegSide, call: ProxyCall, role: SDPRole) throws(ProxyRefusal) {
        if let pending = call.pendingOffer, pending.from != side, role != .offer { return }
        let sdp: SDPSessionDescription
        do {
            sdp = try SDPSessionDescription(parsing: body)
        } catch {
            throw Self.notAcceptable("the SDP does not parse: \(error.reason)")
        }
        _ = try readOffer(sdp, from: side, call: call)
    }

    /// The offer read against the policy: SRTP, and at most `calls.max_streams_per_offer` m= lines (each
    /// accepted stream costs four sockets, and the limit is checked before any is taken).
    private func readOffer(_ sdp: SDPSessionDescription, from side: LegSide, call: ProxyCall) throws(ProxyRefusal)
        -> MediaPlan
    {
        let limit = admission.limits.streamsPerOffer
        if limit > 0, sdp.media.count > limit {
            admission.count(.streamsPerOffer)
            throw ProxyRefusal(
                status: 488, reason: "Not Acceptable Here",
                warning: "at most \(limit) media streams per offer (this one has \(sdp.media.count))")
        }
        switch SDPNegotiation.readOffer(
            sdp, allowed: configuration.suites, peers: configuration.peerPolicy, sottoKeys: call.sottoKeys[side] ?? [])
        {
        case .success(let read): return read
        case .failure(let refusal): throw Self.notAcceptable(refusal.reason)
        }
    }

    private func offer(_ sdp: SDPSessionDescription, from side: LegSide, call: ProxyCall) throws(ProxyRefusal)
        -> [UInt8]
    {
        let plan = try readOffer(sdp, from: side, call: call)
        if call.mediaSession == nil {
            // Sockets only for the streams the offer makes active: a disabled (port 0) or refused m= line gets
            // none. Every stream gets its own RTCP port on both legs, so a peer with rtcp-mux and one without
            // can talk through the same session (the engine demultiplexes RTCP on an RTP port, RFC 5761).
            let specs = plan.activeStreams.map { MediaStreamSpec(rtcpMux: false, clockRate: $0.clockRate) }
            do {
                let created = try media.createSession(callID: call.callID, streams: specs)
                call.mediaSession = created.id
                var made = created.ports.makeIterator()
                call.ports = plan.streams.map { $0.isActive ? made.next() : nil }
                call.recording?.info.codecs = plan.activeStreams.map { Self.recordedCodecs(sdp.media[$0.index]) }
            } catch {
                logger.warning(
                    "no media session for a call", metadata: ["call-id": "\(call.callID)", "error": "\(error)"])
                throw ProxyRefusal(
                    status: 503, reason: "Service Unavailable", warning: Self.sessionFailure(error),
                    extra: [SIPHeader(name: "Retry-After", value: "5")])
            }
        } else if plan.streams.count != call.ports.count {
            throw Self.notAcceptable("a re-offer may not change the number of media streams (\(call.ports.count))")
        } else if let index = plan.streams.indices.first(where: { plan.streams[$0].isActive && call.ports[$0] == nil })
        {
            throw Self.notAcceptable("media stream \(index + 1) was disabled in the first offer and has no ports")
        }
        let other = side.other
        var answerKeys: [SRTPKeyMaterial?] = []
        var offeredKeys: [[SRTPKeyMaterial]] = []
        do throws(SRTPError) {
            for (index, stream) in plan.streams.enumerated() {
                guard stream.isActive, let peerKey = stream.key else {
                    answerKeys.append(nil)
                    offeredKeys.append([])
                    continue
                }
                answerKeys.append(try key(for: peerKey.profile, toward: side, stream: index, call: call))
                var offered: [SRTPKeyMaterial] = []
                for suite in configuration.suites {
                    offered.append(try key(for: suite, toward: other, stream: index, call: call))
                }
                offeredKeys.append(offered)
            }
        } catch {
            throw ProxyRefusal(status: 500, reason: "Server Internal Error", warning: "no SRTP key could be made")
        }
        let rewritten: SDPSessionDescription
        do {
            rewritten = try SDPNegotiation.writeOffer(
                sdp, plan: plan, relayAddress: configuration.mediaAddress, ports: relayPorts(call, facing: other),
                keys: offeredKeys)
        } catch {
            throw Self.notAcceptable("the offer cannot be rewritten: \(error)")
        }
        call.pendingOffer = ProxyCall.PendingOffer(
            from: side, plan: plan, offeredKeys: offeredKeys, answerKeys: answerKeys,
            directions: plan.streams.indices.map {
                Self.direction(sdp, stream: $0, address: plan.streams[$0].peerAddress)
            })
        return rewritten.bytes
    }

    private func answer(
        _ sdp: SDPSessionDescription, to pending: ProxyCall.PendingOffer, from side: LegSide, call: ProxyCall,
        completes: Bool
    ) throws(ProxyRefusal) -> [UInt8] {
        let plan: MediaPlan
        switch SDPNegotiation.readAnswer(
            sdp, offered: pending.offeredKeys, offerPlan: pending.plan, peers: configuration.peerPolicy)
        {
        case .success(let read): plan = read
        case .failure(let refusal): throw Self.notAcceptable(refusal.reason)
        }
        guard let session = call.mediaSession else {
            throw ProxyRefusal(status: 500, reason: "Server Internal Error", warning: "the call has no media session")
        }
        let offerer = pending.from
        var toward: [LegSide: [SRTPKeyMaterial?]] = [side: [], offerer: []]
        var suites: [LegSide: [String]] = [side: [], offerer: []]
        do throws(MediaError) {
            for (index, answered) in plan.streams.enumerated() {
                let offered = pending.plan.streams[index]
                guard answered.isActive, offered.isActive, let tag = answered.cryptoTag,
                    pending.offeredKeys[index].indices.contains(tag - 1)
                else {
                    toward[side]?.append(nil)
                    toward[offerer]?.append(nil)
                    continue
                }
                let sottoToAnswerer = pending.offeredKeys[index][tag - 1]
                let sottoToOfferer = pending.answerKeys[index]
                guard let stream = call.mediaStream(index) else {
                    toward[side]?.append(nil)
                    toward[offerer]?.append(nil)
                    continue
                }
                try media.updateLeg(
                    MediaLegUpdate(
                        session: session, stream: stream, side: side, declaredRTP: rtpAddress(answered),
                        declaredRTCP: rtcpAddress(answered, muxAgreed: answered.rtcpMux), peerKey: answered.key,
                        sottoKey: sottoToAnswerer,
                        direction: Self.direction(sdp, stream: index, address: answered.peerAddress)))
                try media.updateLeg(
                    MediaLegUpdate(
                        session: session, stream: stream, side: offerer, declaredRTP: rtpAddress(offered),
                        declaredRTCP: rtcpAddress(offered, muxAgreed: answered.rtcpMux), peerKey: offered.key,
                        sottoKey: sottoToOfferer, direction: pending.directions[index]))
                toward[side]?.append(sottoToAnswerer)
                toward[offerer]?.append(sottoToOfferer)
                suites[side]?.append(sottoToAnswerer.profile.rawValue)
                suites[offerer]?.append(sottoToOfferer?.profile.rawValue ?? "-")
            }
        } catch {
            logger.warning(
                "a media leg could not be set", metadata: ["call-id": "\(call.callID)", "error": "\(error)"])
            throw Self.notAcceptable("the media session could not take the answer's keys")
        }
        let rewritten: SDPSessionDescription
        do {
            rewritten = try SDPNegotiation.writeAnswer(
                sdp, answerPlan: plan, offerPlan: pending.plan, relayAddress: configuration.mediaAddress,
                ports: relayPorts(call, facing: offerer), keys: pending.answerKeys)
        } catch {
            throw Self.notAcceptable("the answer cannot be rewritten: \(error)")
        }
        call.sottoKeys = toward
        call.suites = suites
        if completes { call.pendingOffer = nil }
        return rewritten.bytes
    }

    /// Sotto's key toward `side` on a stream: the current one when the suite is unchanged (so the crypto
    /// context, its ROC and replay window carry on), else a fresh one from the CSPRNG.
    private func key(for suite: SRTPProfile, toward side: LegSide, stream: Int, call: ProxyCall) throws(SRTPError)
        -> SRTPKeyMaterial
    {
        if let keys = call.sottoKeys[side], keys.indices.contains(stream), let current = keys[stream],
            current.profile == suite
        {
            return current
        }
        return try SRTPKeyMaterial.generate(for: suite)
    }

    /// Why a media session could not be made, as the `Warning` of the 503 says it: out of descriptors is the
    /// process's limit (an operator's fix), not the port range.
    static func sessionFailure(_ error: MediaError) -> String {
        error.code == .outOfDescriptors ? "Sotto is out of file descriptors" : "Sotto has no media ports free"
    }

    /// The direction a peer gave a stream (RFC 3264 §6.1), which tells the media side a call is on hold and
    /// may be silent for `media.hold_timeout_s`. The old hold form, `c=0.0.0.0` (RFC 2543), counts as hold: the
    /// plan carries it as an empty address.
    static func direction(_ sdp: SDPSessionDescription, stream index: Int, address: String) -> MediaDirection {
        let declared = MediaDirection(rawValue: sdp.direction(forMedia: index).rawValue) ?? .sendrecv
        return declared == .sendrecv && address.isEmpty ? .sendonly : declared
    }

    private func relayPorts(_ call: ProxyCall, facing side: LegSide) -> [RelayPorts] {
        call.ports.map { ports in
            guard let ports else { return RelayPorts(rtp: 0, rtcp: nil) }
            return side == .a
                ? RelayPorts(rtp: Int(ports.rtpA), rtcp: ports.rtcpA.map(Int.init))
                : RelayPorts(rtp: Int(ports.rtpB), rtcp: ports.rtcpB.map(Int.init))
        }
    }

    /// Where the SDP says the peer takes RTP; nil for a host name or a port out of range (the relay then
    /// learns the address from the first authenticated packet).
    private func rtpAddress(_ stream: MediaPlan.Stream) -> UDPAddress? {
        guard (1...65535).contains(stream.peerRTPPort) else { return nil }
        return UDPAddress(ip: stream.peerAddress, port: UInt16(stream.peerRTPPort))
    }

    /// Where the peer takes RTCP once the answer has settled rtcp-mux (RFC 5761, RFC 3605 a=rtcp).
    private func rtcpAddress(_ stream: MediaPlan.Stream, muxAgreed: Bool) -> UDPAddress? {
        let port = stream.rtcpPort(muxAgreed: muxAgreed)
        guard (1...65535).contains(port) else { return nil }
        return UDPAddress(ip: muxAgreed ? stream.peerAddress : stream.peerRTCPAddress, port: UInt16(port))
    }

    /// A media section's formats as a recording names them: its `a=rtpmap`s, and RFC 3551's static payload types
    /// for the formats without one.
    static func recordedCodecs(_ section: SDPMediaDescription) -> [RecordedCodec] {
        let maps = section.rtpMaps
        return section.field.formats.prefix(32).compactMap { format -> RecordedCodec? in
            guard let payloadType = Int(format), (0...127).contains(payloadType) else { return nil }
            if let map = maps.first(where: { $0.payloadType == payloadType }) {
                return RecordedCodec(
                    payloadType: UInt8(payloadType), name: map.encodingName, clockRate: UInt32(clamping: map.clockRate),
                    channels: UInt8(clamping: Int(map.encodingParameters ?? "1") ?? 1))
            }
            let name: String? =
                switch payloadType {
                case 0: "PCMU"
                case 8: "PCMA"
                case 9: "G722"
                case 18: "G729"
                default: nil
                }
            return name.map { RecordedCodec(payloadType: UInt8(payloadType), name: $0, clockRate: 8000) }
        }
    }
}
