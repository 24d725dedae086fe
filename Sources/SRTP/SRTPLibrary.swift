internal import CSRTP
internal import CSottoSRTPCrypto
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Which implementation of AES and HMAC-SHA1 libsrtp2 runs on.
public enum SRTPCryptoBackend: String, Sendable, CaseIterable {
    /// Sotto's types on OpenSSL EVP, registered into libsrtp2 at start (the default): about ten
    /// times cheaper per packet than Debian's NSS build, and allocation-free per packet.
    case openssl
    /// libsrtp2's own types as the installed library was built (NSS on Debian): for benchmarks, and
    /// as a fallback if the replacement is ever suspected.
    case stock
}

/// The process-wide libsrtp2 set-up: `srtp_init()` once, then (by default) the replacement of its
/// cipher and auth types by Sotto's, each of which must first pass its known-answer self-test.
///
/// The replacement is process-wide, so it happens once, on first use, and the choice cannot change
/// afterwards. A failed self-test is remembered: every later ``SRTPContext`` creation fails with
/// the same error rather than silently running on other crypto.
public enum SRTPLibrary {
    /// The environment variable that selects the backend: `openssl` (default) or `stock`.
    public static let backendEnvironmentVariable = "SOTTO_SRTP_CRYPTO"

    private enum State: Sendable {
        case idle
        case running(SRTPCryptoBackend)
        case failed(SRTPError)
    }

    private static let state = Mutex<State>(.idle)

    /// Starts libsrtp2 if it has not started, and returns the backend in use.
    ///
    /// - Parameter backend: the backend wanted; nil takes ``backendEnvironmentVariable``, else
    ///   `openssl`. Asking for a different backend once started is an error.
    @discardableResult
    public static func start(backend: SRTPCryptoBackend? = nil) throws(SRTPError) -> SRTPCryptoBackend {
        let outcome: Result<SRTPCryptoBackend, SRTPError> = state.withLock { state in
            switch state {
            case .running(let running):
                if let backend, backend != running {
                    return .failure(
                        SRTPError(.invalidBackend, "SRTP already runs on \(running.rawValue), not \(backend.rawValue)")
                    )
                }
                return .success(running)
            case .failed(let error):
                return .failure(error)
            case .idle:
                do throws(SRTPError) {
                    let running = try startOnce(backend: backend)
                    state = .running(running)
                    return .success(running)
                } catch {
                    state = .failed(error)
                    return .failure(error)
                }
            }
        }
        switch outcome {
        case .success(let backend): return backend
        case .failure(let error): throw error
        }
    }

    private static func startOnce(backend requested: SRTPCryptoBackend?) throws(SRTPError) -> SRTPCryptoBackend {
        let backend: SRTPCryptoBackend
        if let requested { backend = requested } else { backend = try backendFromEnvironment() }
        let status = srtp_init()
        guard status == srtp_err_status_ok else {
            throw SRTPError(.libraryStartFailed, "libsrtp2 failed to initialise (status \(status.rawValue))")
        }
        guard backend == .openssl else { return backend }
        let replaced = CSottoSRTPCrypto_srtp_replace_types()
        guard replaced.step == CSottoSRTPCrypto_replace_ok else {
            let what = replaced.type_description.map { String(cString: $0) } ?? "a crypto type"
            let step: String
            switch replaced.step {
            case CSottoSRTPCrypto_replace_fetch_failed: step = "OpenSSL did not provide the algorithm for"
            case CSottoSRTPCrypto_replace_self_test_failed: step = "the known-answer self-test failed for"
            default: step = "libsrtp2 refused to register"
            }
            throw SRTPError(
                .cryptoSelfTestFailed,
                "\(step) \(what) (libsrtp2 status \(replaced.status)); refusing to run SRTP on it. "
                    + "\(backendEnvironmentVariable)=stock selects libsrtp2's own types."
            )
        }
        return backend
    }

    private static func backendFromEnvironment() throws(SRTPError) -> SRTPCryptoBackend {
        guard let raw = getenv(backendEnvironmentVariable) else { return .openssl }
        let value = String(cString: raw)
        guard let backend = SRTPCryptoBackend(rawValue: value) else {
            throw SRTPError(
                .invalidBackend,
                "\(backendEnvironmentVariable)=\(value) names no backend; use \"openssl\" or \"stock\""
            )
        }
        return backend
    }
}
