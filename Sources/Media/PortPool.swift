/// The media ports Sotto may bind, handed out in pairs: RTP on an even port, RTCP on the next odd one
/// (RFC 3550 §11), the way rtpengine and SBCs allocate them.
///
/// A freed pair goes to the back of the queue, so a port is reused as late as possible: stray packets
/// of a call that just ended should find a closed port, not the next call. Fixed storage allocated once;
/// allocation and release are O(1). Not thread-safe: one owner (the media engine's control queue).
public struct PortPool: Sendable {
    /// Why a pair could not be handed out or taken back.
    public enum Failure: Error, Sendable, Hashable {
        /// Every pair is in use.
        case exhausted(inUse: Int)
        /// The port is not an even port of this pool's range, or is not in use.
        case notAllocated(UInt16)
    }

    /// The lowest and highest port of the range, as configured.
    public let range: ClosedRange<UInt16>
    private var ring: [UInt16]
    private var head = 0
    private var freeCount: Int
    private var inUse: [Bool]
    private let firstEven: UInt16

    /// A pool over `range`; its first even port and the odd port after its last even one bound it.
    public init(range: ClosedRange<UInt16>) {
        self.range = range
        firstEven = range.lowerBound &+ (range.lowerBound & 1)
        var pairs: [UInt16] = []
        var port = firstEven
        while port < range.upperBound {  // port + 1 must fit in the range too
            pairs.append(port)
            if port > UInt16.max - 2 { break }
            port += 2
        }
        ring = pairs
        freeCount = pairs.count
        inUse = Array(repeating: false, count: pairs.count)
    }

    /// Pairs in the pool.
    public var capacity: Int { ring.count }
    /// Pairs free now.
    public var available: Int { freeCount }
    /// Pairs in use now.
    public var allocated: Int { ring.count - freeCount }

    /// Takes the pair that has been free longest; returns its RTP (even) port.
    public mutating func allocate() throws(Failure) -> UInt16 {
        guard freeCount > 0 else { throw .exhausted(inUse: allocated) }
        let port = ring[head]
        head = (head + 1) % ring.count
        freeCount -= 1
        inUse[index(of: port)] = true
        return port
    }

    /// Gives a pair back, by its RTP port. Releasing a port twice, or one never handed out, is refused.
    public mutating func release(_ port: UInt16) throws(Failure) {
        guard port & 1 == 0, port >= firstEven, index(of: port) < inUse.count, inUse[index(of: port)] else {
            throw .notAllocated(port)
        }
        inUse[index(of: port)] = false
        ring[(head + freeCount) % ring.count] = port
        freeCount += 1
    }

    private func index(of port: UInt16) -> Int { Int(port - firstEven) / 2 }
}
