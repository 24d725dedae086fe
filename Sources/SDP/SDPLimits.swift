/// Bounds on what the parser accepts, so that nothing a peer sends grows memory without bound (docs/architecture.md,
/// rule 4).
///
/// The defaults are far above any real offer (a WebRTC offer with a dozen m-lines and their candidates is a
/// few hundred lines and under 16 KiB) and far below what would hurt.
public struct SDPLimits: Sendable, Hashable {
    /// The largest description accepted, in bytes.
    public var maximumSize: Int
    /// The most lines accepted.
    public var maximumLines: Int
    /// The most `m=` sections accepted.
    public var maximumMediaDescriptions: Int

    /// Limits from explicit values.
    public init(maximumSize: Int = 65536, maximumLines: Int = 1024, maximumMediaDescriptions: Int = 64) {
        self.maximumSize = maximumSize
        self.maximumLines = maximumLines
        self.maximumMediaDescriptions = maximumMediaDescriptions
    }

    /// 64 KiB, 1024 lines, 64 media sections.
    public static let `default` = SDPLimits()
}
