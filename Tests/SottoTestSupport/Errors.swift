/// A failure of the test harness itself (a child that would not start or did not finish in time), in one
/// sentence naming what failed.
public struct TestHarnessError: Error, CustomStringConvertible {
    public let description: String

    /// An error reading `description`.
    public init(_ description: String) { self.description = description }
}
