import Synchronization

/// The tokens `recordings-export` hands out and `recordings-read` takes: each lets one connection read one
/// recording's sealed file, for a while.
///
/// A token is 128 bits from the system's CSPRNG (`SystemRandomNumberGenerator` reads `getrandom(2)` on Linux), so
/// it cannot be guessed; and it is bound to the connection that asked for it, so even a token that leaks (a
/// terminal log, a shared screen) reads nothing from another connection. It ends when its connection closes, when
/// ``lifetime`` passes, or when a read reaches the end of the file: one export, one pass through the file, one
/// audit line. Reading the file again means exporting again, with its own reason.
///
/// Outstanding tokens are bounded per connection and in all, checked before one is made.
final class AdminExportGrants: Sendable {
    /// What a token lets its connection read.
    struct Grant: Sendable, Equatable {
        var connection: Int
        var recordingID: String
        var size: UInt64
        /// Monotonic nanoseconds.
        var expires: UInt64
    }

    /// Why a token was not honoured.
    enum Refusal: Error, Equatable {
        /// No such token, or it belongs to another connection: the same answer for both, so a client learns
        /// nothing about other connections' tokens.
        case notHere
        /// It was this connection's, and its time ran out.
        case expired
    }

    /// Why no token was made.
    enum Full: Error, Equatable {
        /// The connection already holds ``AdminExportGrants/perConnection`` live tokens.
        case connection(Int)
        /// The server already holds ``AdminExportGrants/total`` live tokens.
        case server(Int)
    }

    /// How long a token lasts, in nanoseconds.
    let lifetime: UInt64
    /// The most live tokens one connection may hold, and the server in all.
    let perConnection: Int
    let total: Int
    private let clock: @Sendable () -> UInt64
    private let grants = Mutex<[String: Grant]>([:])

    init(lifetime: UInt64, perConnection: Int, total: Int, clock: @escaping @Sendable () -> UInt64) {
        self.lifetime = lifetime
        self.perConnection = perConnection
        self.total = total
        self.clock = clock
    }

    /// A new token for `connection` to read `recordingID`'s `size` bytes; refused when a bound is reached (expired
    /// tokens are dropped first, so they never count).
    func issue(connection: Int, recordingID: String, size: UInt64) -> Result<String, Full> {
        let now = clock()
        return grants.withLock { grants in
            grants = grants.filter { $0.value.expires > now }
            let held = grants.values.count { $0.connection == connection }
            if held >= perConnection { return .failure(.connection(perConnection)) }
            if grants.count >= total { return .failure(.server(total)) }
            var token = Self.newToken()
            while grants[token] != nil { token = Self.newToken() }
            grants[token] = Grant(
                connection: connection, recordingID: recordingID, size: size, expires: now &+ lifetime)
            return .success(token)
        }
    }

    /// The grant `token` holds for `connection`.
    func grant(_ token: String, connection: Int) -> Result<Grant, Refusal> {
        let now = clock()
        return grants.withLock { grants in
            // Bound to its connection: a token presented anywhere else is as good as none.
            guard let grant = grants[token], grant.connection == connection else { return .failure(.notHere) }
            guard grant.expires > now else {
                grants[token] = nil
                return .failure(.expired)
            }
            return .success(grant)
        }
    }

    /// Ends `token` (its read reached the end of the file, or its export failed after it was made).
    func spend(_ token: String) {
        _ = grants.withLock { $0.removeValue(forKey: token) }
    }

    /// Ends every token of `connection` (it closed).
    func dropConnection(_ connection: Int) {
        grants.withLock { grants in grants = grants.filter { $0.value.connection != connection } }
    }

    /// Live tokens now (for tests).
    var count: Int { grants.withLock { $0.count } }

    /// 16 bytes from the CSPRNG, as 32 hex digits.
    private static func newToken() -> String {
        var generator = SystemRandomNumberGenerator()
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(32)
        for _ in 0..<2 {
            let word = generator.next() as UInt64
            for shift in stride(from: 60, through: 0, by: -4) {
                text.append(digits[Int((word >> UInt64(shift)) & 0xf)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}
