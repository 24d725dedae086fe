/// The value of the Contact headers: `*` (only in a REGISTER that removes every binding) or a list of
/// addresses (RFC 3261 §20.10, §10.2.2).
public enum SIPContactList: Sendable, Hashable {
    /// `Contact: *`.
    case wildcard
    /// The addresses, in order, across every Contact header.
    case addresses([SIPNameAddress])
}
