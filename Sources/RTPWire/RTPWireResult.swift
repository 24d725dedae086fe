/// The outcome of a parser or writer in `RTPWire`: a value, or the verdict that explains why there is none.
///
/// It replaces `throws` on the per-packet path: no existential error box, no unwinding, and a `switch` forces
/// the caller to handle (and count) the malformed case.
@frozen
public enum RTPWireResult<Value> {
    /// The input was well formed (or the write fitted) and produced this value.
    case ok(Value)
    /// The input was refused (or the write did not fit) for this reason.
    case malformed(RTPWireVerdict)

    /// The value when the result is `.ok`, otherwise `nil`.
    @inlinable
    public var value: Value? {
        switch self {
        case .ok(let value): return value
        case .malformed: return nil
        }
    }

    /// The verdict when the result is `.malformed`, otherwise `nil`.
    @inlinable
    public var verdict: RTPWireVerdict? {
        switch self {
        case .ok: return nil
        case .malformed(let verdict): return verdict
        }
    }

    /// The value, or a thrown ``RTPWireVerdict``; for tests and set-up code, never for the per-packet path.
    @inlinable
    public func get() throws(RTPWireVerdict) -> Value {
        switch self {
        case .ok(let value): return value
        case .malformed(let verdict): throw verdict
        }
    }
}

extension RTPWireResult: Sendable where Value: Sendable {}

extension RTPWireResult: Equatable where Value: Equatable {}
