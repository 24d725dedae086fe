import Glibc
import SRTP
import Synchronization
import Transport

/// The generator's media sockets: a few per side, each shared by many streams.
///
/// A socket per stream would make the generator pay one `sendmmsg` and one `recvmmsg` for every
/// packet (each stream has one packet due per tick), and it would saturate long before the relay
/// does. Shared sockets send a whole tick's packets in one `sendmmsg` across destinations and receive
/// many streams' packets per `recvmmsg`; what comes in is told apart by its source, the relay's port
/// for that leg (relays send from the port they receive on, symmetric RTP). The relay's work is the
/// same either way: one socket per leg on its side, one packet per socket per tick.
final class MediaSockets: @unchecked Sendable {
    /// Every socket: the phone side's first, then the PBX side's.
    let sockets: [UDPSocket]
    /// One send batch per socket, used only on the media thread.
    let batches: [DatagramBatch]
    let perSide: Int
    private let nextPhone = Atomic<Int>(0)
    private let nextPBX = Atomic<Int>(0)

    /// The receive and send buffer each socket asks for: a few hundred milliseconds of a large run.
    static let bufferBytes: Int32 = 8 << 20

    /// Opens `perSide` sockets on each side's IP (free ports).
    init(perSide: Int, phoneIP: String, pbxIP: String, batchSize: Int) throws(LoadgenError) {
        var sockets: [UDPSocket] = []
        for ip in [phoneIP, pbxIP] {
            guard let address = UDPAddress(ip: ip, port: 0) else {
                throw LoadgenError("\(ip) is not a numeric IP address for media")
            }
            for _ in 0..<perSide {
                do {
                    let socket = try UDPSocket(binding: address)
                    Self.enlargeBuffers(socket.fd)
                    socket.enableReceiveTimestamps()  // without them, latency falls back to read time
                    sockets.append(socket)
                } catch {
                    throw LoadgenError("a media socket on \(ip) could not be opened: \(error.reason)")
                }
            }
        }
        self.sockets = sockets
        self.perSide = perSide
        batches = sockets.map { _ in
            DatagramBatch(capacity: batchSize, datagramSize: 1500, tailroom: SRTPContext.maximumTrailerLength)
        }
    }

    /// The next socket of `side`, round robin (any thread).
    func assign(_ side: Side) -> (index: Int, port: UInt16) {
        let turn =
            side == .phone
            ? nextPhone.add(1, ordering: .relaxed).oldValue : nextPBX.add(1, ordering: .relaxed).oldValue
        let index = side.rawValue * perSide + turn % perSide
        return (index, sockets[index].localAddress.port)
    }

    func closeAll() {
        for socket in sockets { socket.close() }
    }

    /// Large buffers, so that a burst of many streams' packets is not dropped by the generator's own
    /// socket. The forcing variant passes `net.core.rmem_max` when running as root; otherwise the
    /// kernel's cap applies.
    private static func enlargeBuffers(_ fd: Int32) {
        var bytes = bufferBytes
        let size = socklen_t(MemoryLayout<Int32>.size)
        for (force, plain) in [(SO_RCVBUFFORCE, SO_RCVBUF), (SO_SNDBUFFORCE, SO_SNDBUF)]
        where setsockopt(fd, SOL_SOCKET, force, &bytes, size) != 0 {
            _ = setsockopt(fd, SOL_SOCKET, plain, &bytes, size)
        }
    }
}
