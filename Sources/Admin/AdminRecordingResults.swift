import AdminProtocol

/// What `record` did to a live call.
public enum AdminRecordingControlResult: Sendable, Equatable {
    /// Done: the call's recording state now, `recording` or `paused`, or nil once stopped.
    case done(state: String?)
    /// No live session with that id.
    case noSuchSession
    /// Not done, and why in one sentence (`recording is not configured`, `session 4 is not being recorded`).
    case refused(String)
}

/// What a hold, a release or a delete did to a recording.
public enum AdminRecordingActionResult: Sendable, Equatable {
    /// Done: the row as it is now.
    case done(AdminRecording)
    /// No recording with that id.
    case notFound
    /// Not done, and why in one sentence (`it is on legal hold`).
    case refused(String)
}
