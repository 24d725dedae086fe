/// Why a call ended: the teardown log line's `end-reason`. Signalling's vocabulary; the media side knows
/// only whether it was asked to end a session or ended it by itself.
public enum CallEndReason: String, Sendable, Hashable {
    /// A BYE from either side.
    case bye
    /// The caller cancelled before an answer.
    case cancel
    /// No authenticated packet on any leg for the idle timeout.
    case mediaTimeout
    /// An operator ended it.
    case admin
    /// Something failed while setting it up, or its media could not be served.
    case error
    /// The INVITE got a final error response (busy, declined, not found, ...).
    case rejected
    /// An offer or answer without usable SRTP (docs/architecture.md, rule 1).
    case srtpRefused
    /// A softphone's TLS connection was lost.
    case connectionLost
    /// Sotto is shutting down (after the drain time).
    case shutdown
    /// A SIP transaction timed out (Timer B or C: no final response).
    case timeout
    /// It rang for longer than `calls.max_ringing_s` without an answer.
    case ringTimeout
    /// It had to be recorded (`recording.required`) and its recording failed.
    case recordingFailed
}
