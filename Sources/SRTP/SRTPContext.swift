internal import CSRTP

/// Which way an ``SRTPContext`` works.
public enum SRTPDirection: Sendable, Hashable {
    /// Verifies and decrypts what a peer sent, with the peer's key.
    case inbound
    /// Encrypts and signs what Sotto sends to a peer, with the key Sotto gave that peer.
    case outbound
}

/// One direction of SRTP and SRTCP for one master key, over libsrtp2: protect or unprotect packets
/// in place in a caller-owned buffer.
///
/// Like pion's `Context`, it is pure crypto: no sockets, no calls. It accepts any SSRC (libsrtp2's
/// `ssrc_any_inbound` / `ssrc_any_outbound` templates): a stream is created for a new SSRC only once
/// a packet carrying it has authenticated (inbound) or been protected (outbound).
///
/// Not thread-safe: each context belongs to one session, on that session's loop. That is the
/// `@unchecked Sendable` promise; nothing on the per-packet path takes a lock, allocates or throws.
public final class SRTPContext: @unchecked Sendable {
    /// The suite this context runs.
    public let profile: SRTPProfile
    /// Which way it works.
    public let direction: SRTPDirection
    /// Bytes ``protectRTP(_:length:)`` adds: the tag, and the MKI when one is used.
    public let rtpTrailerLength: Int
    /// Bytes ``protectRTCP(_:length:)`` adds: the E flag and SRTCP index, the tag, and the MKI.
    public let rtcpTrailerLength: Int
    /// The most bytes any protect call can add (libsrtp2's `SRTP_MAX_TRAILER_LEN` plus the SRTCP
    /// index): the tailroom a packet buffer needs past the longest packet.
    public static let maximumTrailerLength = Int(SRTP_MAX_TAG_LEN) + Int(SRTP_MAX_MKI_LEN) + 4

    let sessionHandle: srtp_t
    let usesMKI: Bool

    /// Creates a context for one direction and one master key.
    ///
    /// - Parameters:
    ///   - key: master key and salt (and MKI, lifetime) for `key.profile`.
    ///   - replayWindow: packets remembered for replay detection inbound (RFC 3711 §3.3.2);
    ///     64...32767, default 1024 so reordering on a busy path is not mistaken for replay.
    public init(key: SRTPKeyMaterial, direction: SRTPDirection, replayWindow: Int = 1024) throws(SRTPError) {
        try SRTPLibrary.start()
        guard (64...0x7FFF).contains(replayWindow) else {
            throw SRTPError(.invalidReplayWindow, "the replay window must be 64 to 32767 packets, not \(replayWindow)")
        }
        let profile = key.profile
        guard key.mki == nil || profile.supportsMKI else {
            throw SRTPError(.invalidKey, "\(profile.rawValue) keys cannot carry an MKI with this libsrtp2")
        }
        var policy = srtp_policy_t()
        Self.setCryptoPolicy(profile, rtp: &policy.rtp, rtcp: &policy.rtcp)
        policy.ssrc.type = direction == .inbound ? ssrc_any_inbound : ssrc_any_outbound
        policy.window_size = UInt(replayWindow)
        // A sender must never repeat a packet index with the same key (RFC 3711 §9.1).
        policy.allow_repeat_tx = 0
        policy.next = nil

        // libsrtp2 takes the key's length from its own policy tables, not from us: a buffer of its maximum
        // makes sure no table entry can ever read past it. Allocated at its final size, so the one copy made here
        // is never moved before it is cleared below.
        var keyBytes = [UInt8](repeating: 0, count: Int(SRTP_MAX_KEY_LEN))
        keyBytes.withUnsafeMutableBytes { target in
            key.storage.withUnsafeBytes { target.copyMemory(from: $0) }
        }
        var mkiBytes = key.mki?.bytes ?? []
        defer {
            wipe(&keyBytes)
        }
        var created: srtp_t?
        let status = keyBytes.withUnsafeMutableBufferPointer { keyBuffer in
            mkiBytes.withUnsafeMutableBufferPointer { mkiBuffer in
                if key.mki == nil {
                    policy.key = keyBuffer.baseAddress
                    return srtp_create(&created, &policy)
                }
                var master = srtp_master_key_t(
                    key: keyBuffer.baseAddress,
                    mki_id: mkiBuffer.baseAddress,
                    mki_size: UInt32(mkiBuffer.count)
                )
                return withUnsafeMutablePointer(to: &master) { masterPointer in
                    var keys: [UnsafeMutablePointer<srtp_master_key_t>?] = [masterPointer]
                    return keys.withUnsafeMutableBufferPointer { keyList in
                        policy.key = nil
                        policy.keys = keyList.baseAddress
                        policy.num_master_keys = 1
                        return srtp_create(&created, &policy)
                    }
                }
            }
        }
        guard status == srtp_err_status_ok, let created else {
            throw SRTPError(
                .contextCreationFailed,
                "libsrtp2 could not create an \(profile.rawValue) context (status \(status.rawValue))"
            )
        }
        self.sessionHandle = created
        self.profile = profile
        self.direction = direction
        self.usesMKI = key.mki != nil
        let mkiLength = key.mki?.length ?? 0
        self.rtpTrailerLength = profile.rtpTagLength + mkiLength
        self.rtcpTrailerLength = 4 + profile.rtcpTagLength + mkiLength
    }

    /// Forgets the stream libsrtp2 keeps for `ssrc` (its keys, ROC and replay window). A later packet
    /// with that SSRC starts a new stream from the template. Not for the per-packet path: it frees.
    public func removeStream(ssrc: UInt32) {
        _ = srtp_remove_stream(sessionHandle, ssrc.bigEndian)
    }

    deinit {
        // srtp_dealloc wipes the session keys libsrtp2 derived.
        srtp_dealloc(sessionHandle)
    }

    private static func setCryptoPolicy(
        _ profile: SRTPProfile,
        rtp: inout srtp_crypto_policy_t,
        rtcp: inout srtp_crypto_policy_t
    ) {
        switch profile {
        case .aesCM128HMACSHA1_80:
            srtp_crypto_policy_set_rtp_default(&rtp)
            srtp_crypto_policy_set_rtcp_default(&rtcp)
        case .aesCM128HMACSHA1_32:
            srtp_crypto_policy_set_aes_cm_128_hmac_sha1_32(&rtp)
            srtp_crypto_policy_set_rtcp_default(&rtcp)  // SRTCP keeps the 80-bit tag (RFC 4568 §6.2.2)
        case .aes256CMHMACSHA1_80:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtp)
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp)
        case .aes256CMHMACSHA1_32:
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_32(&rtp)
            srtp_crypto_policy_set_aes_cm_256_hmac_sha1_80(&rtcp)
        case .aeadAES128GCM:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&rtcp)
        case .aeadAES256GCM:
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtp)
            srtp_crypto_policy_set_aes_gcm_256_16_auth(&rtcp)
        }
    }
}
