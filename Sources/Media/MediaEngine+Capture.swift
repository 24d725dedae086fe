import Recording

/// Recording's hook into the packet path: which sessions' legs copy their decrypted payloads into their loop's
/// ``CaptureRing``. The recording writer (off the loops) drains the rings; the loops never wait for it.
extension MediaEngine {
    /// Starts capture of every leg of session `id` under the writer's `handle`, or stops it (`handle` 0, which
    /// is also how a pause is applied). Payload types in `excluded` (telephone-events) are never captured.
    /// Applied on the session's loop, in order with its other changes; `applied` runs on the loop right after,
    /// so a writer that waits for it knows no later packet carries the old handle. False when there is no such
    /// session or recording is not configured.
    @discardableResult
    public func setCapture(
        session id: UInt64, handle: UInt32, excluded: [UInt8] = [], applied: (@Sendable () -> Void)? = nil
    ) -> Bool {
        guard !captureRings.isEmpty, let session = sessions.withLock({ $0[id] }) else { return false }
        var mask: (UInt64, UInt64) = (0, 0)
        for payloadType in excluded where payloadType < 128 {
            if payloadType < 64 {
                mask.0 |= 1 << UInt64(payloadType)
            } else {
                mask.1 |= 1 << UInt64(payloadType - 64)
            }
        }
        let excludedMask = mask
        session.loop.submit {
            for stream in session.streams {
                for leg in [stream.a, stream.b] {
                    leg.captureHandle = handle
                    leg.captureExcluded = excludedMask
                }
            }
            applied?()
        }
        return true
    }

    /// Packets not recorded because a loop's ring was full, every loop together, since start.
    public var captureOverruns: UInt64 { captureRings.reduce(0) { $0 &+ $1.overruns } }
}
