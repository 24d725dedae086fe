internal import CSottoNet
import Glibc

/// Preallocated storage for one `recvmmsg`/`sendmmsg` batch: packet slots with tailroom for the SRTP
/// trailer, their `iovec`s, source/destination addresses and `mmsghdr`s. Allocated once per loop
/// and reused for every batch (the swift-nio DatagramVectorReadManager pattern): the per-packet path
/// allocates nothing.
///
/// Confined to its loop's queue.
public final class DatagramBatch: @unchecked Sendable {
    /// Datagrams per batch.
    public let capacity: Int
    /// Bytes per slot: the largest datagram accepted plus the tailroom protect may need.
    public let slotSize: Int
    private let memory: UnsafeMutableRawBufferPointer
    private let iovecs: UnsafeMutablePointer<iovec>
    private let addresses: UnsafeMutablePointer<sockaddr_storage>
    private let headers: UnsafeMutablePointer<CSottoNet_mmsghdr>
    /// Per-datagram control space for the kernel's arrival timestamp (nil unless asked for).
    private let control: UnsafeMutableRawPointer?
    private let controlSize: Int

    /// - Parameters:
    ///   - capacity: datagrams per batch (e.g. 32).
    ///   - datagramSize: the largest datagram received; longer ones are truncated by the kernel.
    ///   - tailroom: extra room past each datagram for in-place growth (an SRTP trailer).
    ///   - receiveTimestamps: keep room for each datagram's arrival timestamp (see
    ///     ``UDPSocket/enableReceiveTimestamps()`` and ``arrivalTimestamp(_:)``).
    public init(capacity: Int, datagramSize: Int = 1500, tailroom: Int, receiveTimestamps: Bool = false) {
        self.capacity = capacity
        self.slotSize = (datagramSize + tailroom + 63) & ~63
        self.datagramSize = datagramSize
        memory = .allocate(byteCount: slotSize * capacity, alignment: 64)
        iovecs = .allocate(capacity: capacity)
        addresses = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        controlSize = receiveTimestamps ? Int(CSottoNet_timestamp_control_size()) : 0
        control =
            receiveTimestamps
            ? .allocate(byteCount: controlSize * capacity, alignment: MemoryLayout<Int>.alignment) : nil
        for index in 0..<capacity {
            iovecs[index] = iovec(iov_base: memory.baseAddress! + index * slotSize, iov_len: datagramSize)
            addresses[index] = sockaddr_storage()
            headers[index] = CSottoNet_mmsghdr()
        }
    }

    private let datagramSize: Int

    deinit {
        memory.deallocate()
        iovecs.deallocate()
        addresses.deallocate()
        headers.deallocate()
        control?.deallocate()
    }

    /// The whole slot `index` (datagram plus tailroom), for in-place protect/unprotect.
    @inline(__always)  // called for every packet; a bounds-free rebase
    public func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: memory.baseAddress! + index * slotSize, count: slotSize)
    }

    /// The length of datagram `index` after `receive`, or set before `send`.
    public func length(_ index: Int) -> Int { Int(headers[index].msg_len) }

    /// Whether datagram `index` was longer than a slot and cut short by the kernel (MSG_TRUNC).
    public func isTruncated(_ index: Int) -> Bool { headers[index].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0 }

    /// The sender of datagram `index` after `receive`.
    public func source(_ index: Int) -> UDPAddress {
        UDPAddress(storage: addresses[index], length: headers[index].msg_hdr.msg_namelen)
    }

    /// When the kernel received datagram `index` (CLOCK_REALTIME nanoseconds), for a batch made with
    /// `receiveTimestamps` reading a socket that stamps its datagrams; nil otherwise.
    public func arrivalTimestamp(_ index: Int) -> UInt64? {
        guard control != nil else { return nil }
        // msg_hdr is the first member of the mmsghdr.
        let stamp = CSottoNet_receive_timestamp(
            UnsafeRawPointer(headers + index).assumingMemoryBound(to: msghdr.self))
        return stamp >= 0 ? UInt64(stamp) : nil
    }

    /// Receives up to `capacity` datagrams from `fd` without blocking. Returns how many (0 when none
    /// was waiting), or -errno.
    public func receive(from fd: Int32) -> Int {
        for index in 0..<capacity {
            // Both fields: queue(entry:slot:...) may have pointed this iovec at another slot.
            iovecs[index] = iovec(iov_base: memory.baseAddress! + index * slotSize, iov_len: datagramSize)
            headers[index].msg_hdr = msghdr(
                msg_name: UnsafeMutableRawPointer(addresses + index),
                msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                msg_iov: iovecs + index, msg_iovlen: 1, msg_control: control.map { $0 + index * controlSize },
                msg_controllen: controlSize, msg_flags: 0)
            headers[index].msg_len = 0
        }
        let received = CSottoNet_recvmmsg(fd, headers, UInt32(capacity), Int32(MSG_DONTWAIT))
        if received < 0 { return errno == EAGAIN || errno == EWOULDBLOCK ? 0 : -Int(errno) }
        return Int(received)
    }

    /// Sends `count` datagrams queued with `queue(_:length:to:)` out of `fd`. Returns how many the
    /// kernel took, or -errno.
    public func send(count: Int, from fd: Int32) -> Int {
        guard count > 0 else { return 0 }
        let sent = CSottoNet_sendmmsg(fd, headers, UInt32(count), Int32(MSG_DONTWAIT))
        return sent < 0 ? -Int(errno) : Int(sent)
    }

    /// Prepares entry `entry` of the send list: `length` bytes of slot `slot` to `destination`.
    /// Entries are packed from 0 so that one `send(count:from:)` covers them; `slot` may differ from
    /// `entry` when earlier packets of the batch were dropped.
    public func queue(entry: Int, slot: Int, length: Int, to destination: UDPAddress) {
        addresses[entry] = destination.storage
        iovecs[entry] = iovec(iov_base: memory.baseAddress! + slot * slotSize, iov_len: length)
        headers[entry].msg_hdr = msghdr(
            msg_name: UnsafeMutableRawPointer(addresses + entry), msg_namelen: destination.length,
            msg_iov: iovecs + entry, msg_iovlen: 1, msg_control: nil, msg_controllen: 0, msg_flags: 0)
    }
}
