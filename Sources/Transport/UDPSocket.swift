internal import CSottoNet
import Glibc

/// A non-blocking UDP socket bound to a local address. Owns its descriptor; `close()` is explicit
/// because a loop must take the descriptor out of its epoll set first.
public final class UDPSocket: @unchecked Sendable {
    /// The descriptor.
    public let fd: Int32
    /// The address it is bound to.
    public let localAddress: UDPAddress
    private var closed = false

    /// Opens a socket and binds it to `address`; port 0 lets the kernel choose.
    public init(binding address: UDPAddress) throws(TransportError) {
        let fd = socket(
            address.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue | SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else {
            let code = errno
            throw TransportError(
                code == EMFILE || code == ENFILE ? .outOfDescriptors : .socketFailed,
                "a UDP socket for \(address) could not be created: \(errnoSentence(code))")
        }
        var storage = address.storage
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, address.length) }
        }
        guard bound == 0 else {
            let code = errno
            Glibc.close(fd)
            throw TransportError(
                code == EADDRINUSE ? .addressInUse : .bindFailed,
                "UDP \(address) could not be bound: \(errnoSentence(code))")
        }
        var actual = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.localAddress = UDPAddress(storage: actual, length: length)
    }

    /// Has the kernel stamp every datagram with its arrival time, read back with
    /// ``DatagramBatch/arrivalTimestamp(_:)``. False when the kernel refused.
    @discardableResult
    public func enableReceiveTimestamps() -> Bool { CSottoNet_enable_receive_timestamps(fd) == 0 }

    /// Closes the descriptor (once).
    public func close() {
        guard !closed else { return }
        closed = true
        Glibc.close(fd)
    }

    deinit { close() }
}
