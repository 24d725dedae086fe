internal import COpenSSL

/// Message digests from OpenSSL, for modules that need a hash but must not import OpenSSL themselves
/// (the admin audit log's chain links). No hand-written cryptography.
public enum Digest {
    /// The SHA-256 digest of `bytes`: 32 bytes.
    public static func sha256(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok =
            bytes.withContiguousStorageIfAvailable { input in
                EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
            }
            ?? Array(bytes).withUnsafeBufferPointer { input in
                EVP_Digest(input.baseAddress, input.count, &digest, &length, EVP_sha256(), nil)
            }
        // EVP_Digest fails only when OpenSSL cannot allocate a context; a caller holding a bogus digest
        // (a broken audit chain) would be worse off than one that stops.
        precondition(ok == 1 && length == 32, "OpenSSL could not compute SHA-256")
        return Array(digest.prefix(32))
    }
}
