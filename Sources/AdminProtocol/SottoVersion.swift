/// Sotto's version, one constant for `sotto`, `sottoctl` and the admin socket's `version` command.
public enum SottoVersion {
    /// The release this tree builds.
    public static let current = "0.5.0"
}
