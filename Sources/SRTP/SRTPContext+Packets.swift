internal import CSRTP

/// The per-packet calls. Each works in place on the first `length` bytes of `buffer`, and returns
/// the new length or a verdict; none throws, allocates or locks (asserted by the benchmarks).
extension SRTPContext {
    private static let rtpHeaderLength = 12
    private static let rtcpHeaderLength = 8
    private static let largestDatagram = 0xFFFF

    /// Encrypts and signs an RTP packet (RFC 3711 §3.3). `buffer` must have room for
    /// ``rtpTrailerLength`` more bytes past `length`.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> SRTPResult {
        precondition(direction == .outbound, "protect needs an outbound context")
        if let verdict = Self.check(buffer, length, header: Self.rtpHeaderLength, room: rtpTrailerLength) {
            return .dropped(verdict)
        }
        var octets = Int32(length)
        let status =
            usesMKI
            ? srtp_protect_mki(sessionHandle, buffer.baseAddress, &octets, 1, 0)
            : srtp_protect(sessionHandle, buffer.baseAddress, &octets)
        return Self.result(status, octets)
    }

    /// Verifies and decrypts an SRTP packet (RFC 3711 §3.3): on success the packet is plain RTP of
    /// the returned length; on any verdict the buffer must be discarded.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> SRTPResult {
        precondition(direction == .inbound, "unprotect needs an inbound context")
        if let verdict = Self.check(buffer, length, header: Self.rtpHeaderLength + rtpTrailerLength, room: 0) {
            return .dropped(verdict)
        }
        var octets = Int32(length)
        let status =
            usesMKI
            ? srtp_unprotect_mki(sessionHandle, buffer.baseAddress, &octets, 1)
            : srtp_unprotect(sessionHandle, buffer.baseAddress, &octets)
        return Self.result(status, octets)
    }

    /// Encrypts and signs an RTCP compound packet (RFC 3711 §3.4), adding the SRTCP index and tag.
    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> SRTPResult {
        precondition(direction == .outbound, "protect needs an outbound context")
        if let verdict = Self.check(buffer, length, header: Self.rtcpHeaderLength, room: rtcpTrailerLength) {
            return .dropped(verdict)
        }
        var octets = Int32(length)
        let status =
            usesMKI
            ? srtp_protect_rtcp_mki(sessionHandle, buffer.baseAddress, &octets, 1, 0)
            : srtp_protect_rtcp(sessionHandle, buffer.baseAddress, &octets)
        return Self.result(status, octets)
    }

    /// Verifies and decrypts an SRTCP packet (RFC 3711 §3.4).
    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) -> SRTPResult {
        precondition(direction == .inbound, "unprotect needs an inbound context")
        if let verdict = Self.check(buffer, length, header: Self.rtcpHeaderLength + rtcpTrailerLength, room: 0) {
            return .dropped(verdict)
        }
        var octets = Int32(length)
        let status =
            usesMKI
            ? srtp_unprotect_rtcp_mki(sessionHandle, buffer.baseAddress, &octets, 1)
            : srtp_unprotect_rtcp(sessionHandle, buffer.baseAddress, &octets)
        return Self.result(status, octets)
    }

    /// The checks libsrtp2 relies on its caller for: a minimum length, room for the trailer, and
    /// RTP/RTCP version 2 (so STUN, DTLS or junk never reaches the crypto).
    @inline(__always)  // a handful of compares on every packet; keep them in the caller
    private static func check(
        _ buffer: UnsafeMutableRawBufferPointer,
        _ length: Int,
        header minimum: Int,
        room: Int
    ) -> SRTPVerdict? {
        guard length >= minimum else { return .tooShort }
        guard length <= largestDatagram else { return .tooLong }
        guard length <= buffer.count, buffer.count - length >= room, let base = buffer.baseAddress else {
            return .noTailroom
        }
        guard base.load(as: UInt8.self) >> 6 == 2 else { return .malformed }
        return nil
    }

    @inline(__always)  // one branch on the status; keep it in the caller
    private static func result(_ status: srtp_err_status_t, _ octets: Int32) -> SRTPResult {
        status == srtp_err_status_ok ? .ok(length: Int(octets)) : .dropped(SRTPVerdict(status))
    }
}

extension SRTPVerdict {
    /// Maps a libsrtp2 failure status to the verdict the relay counts.
    init(_ status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: self = .replay
        case srtp_err_status_parse_err, srtp_err_status_bad_param: self = .malformed
        case srtp_err_status_key_expired: self = .keyExhausted
        case srtp_err_status_bad_mki: self = .unknownMKI
        default: self = .cryptoFailure
        }
    }
}
