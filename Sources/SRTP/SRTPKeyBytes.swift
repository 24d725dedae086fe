internal import COpenSSL

/// The one home of a master key's bytes (key followed by salt): a buffer allocated once and never copied, shared
/// by reference by every ``SRTPKeyMaterial`` value that holds the key. When the last holder lets go (the proxy's
/// call record and the media leg both done with it), the bytes are overwritten with `OPENSSL_cleanse` (which the
/// compiler may not optimise away, unlike a plain store before `free`) and the buffer is freed.
///
/// Swift arrays cannot promise that: a `[UInt8]` is copied on write and moved by the runtime, and a copy the
/// program no longer sees is freed without being cleared. Code that needs the bytes borrows them with
/// ``withUnsafeBytes(_:)`` for the duration of a call.
package final class SRTPKeyBytes: @unchecked Sendable {
    private let buffer: UnsafeMutableRawBufferPointer

    /// A new buffer holding a copy of `parts`, one after the other (the caller clears its own copies).
    package init(concatenating parts: [UInt8]...) {
        count = parts.reduce(0) { $0 + $1.count }
        buffer = .allocate(byteCount: max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        var offset = 0
        for part in parts {
            part.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: buffer[offset...]).copyMemory(from: $0) }
            offset += part.count
        }
    }

    /// A new buffer of `count` bytes that `fill` writes (say, from the CSPRNG); nil when `fill` fails.
    package init?(count: Int, fill: (UnsafeMutableRawBufferPointer) -> Bool) {
        self.count = count
        buffer = .allocate(byteCount: max(count, 1), alignment: 16)
        buffer.initializeMemory(as: UInt8.self, repeating: 0)
        guard fill(UnsafeMutableRawBufferPointer(rebasing: buffer[..<count])) else { return nil }
    }

    /// Octets held.
    package let count: Int

    /// Lends the bytes for the duration of `body`; they must not escape it.
    package func withUnsafeBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: buffer[..<count]))
    }

    /// Overwrites the bytes now (they read as zeros after). Every holder of this key sees the zeros: only for
    /// a key nobody will use again.
    package func wipe() {
        OPENSSL_cleanse(buffer.baseAddress, buffer.count)
    }

    /// Whether two buffers hold the same bytes, in time that does not depend on where they differ.
    package func equals(_ other: SRTPKeyBytes) -> Bool {
        guard self !== other else { return true }
        guard count == other.count else { return false }
        return CRYPTO_memcmp(buffer.baseAddress, other.buffer.baseAddress, count) == 0
    }

    deinit {
        wipe()
        buffer.deallocate()
    }
}
