/// Polls `condition` every 5 ms until it holds or `timeout` passes, sleeping between polls without holding a
/// thread. For events a test waits on (a process wrote something, a server counted something), never for time
/// to pass.
public func eventually(
    _ timeout: Duration = .seconds(15), _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + timeout
    while clock.now < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(5))
    }
    return try await condition()
}
