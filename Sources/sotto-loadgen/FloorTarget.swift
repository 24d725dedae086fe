import Transport

/// `--floor IP:FIRST-LAST`: the benchmark's floor relay (`Benchmarks/compare/floor_relay.c`) instead of a
/// SIP relay. Its ports come in pairs: ports FIRST+2k and FIRST+2k+1 are one call's two legs (pair k); the
/// phone side sends to the first, the PBX side to the second. No SIP, TLS or SRTP: the generator sends
/// plain RTP and checks nothing but what loss and latency need (sequence numbers, SSRC).
struct FloorTarget: Sendable, Codable, Equatable {
    /// The floor relay's IPv4 address.
    var ip: String
    var firstPort: UInt16
    var lastPort: UInt16

    /// Port pairs in the range: how many calls can be up at once.
    var pairs: Int { (Int(lastPort) - Int(firstPort) + 1) / 2 }

    /// Pair `index`'s two legs: the phone side's port, then the PBX side's.
    func ports(ofPair index: Int) -> (phone: UInt16, pbx: UInt16) {
        let first = UInt16(Int(firstPort) + 2 * index)
        return (first, first + 1)
    }

    /// Parses `IP:FIRST-LAST` (an IPv4 address, an even number of ports).
    static func parse(_ text: String) throws(LoadgenError) -> FloorTarget {
        let usage = "--floor wants IP:FIRST-LAST (an IPv4 address and an even number of ports), not \"\(text)\""
        guard let colon = text.lastIndex(of: ":") else { throw LoadgenError(usage) }
        let ip = String(text[..<colon])
        let range = text[text.index(after: colon)...].split(separator: "-", omittingEmptySubsequences: false)
        guard range.count == 2, let first = UInt16(range[0]), let last = UInt16(range[1]), first > 0, last >= first,
            (Int(last) - Int(first) + 1) % 2 == 0, !ip.contains(":"), UDPAddress(ip: ip, port: first) != nil
        else { throw LoadgenError(usage) }
        return FloorTarget(ip: ip, firstPort: first, lastPort: last)
    }
}

/// The floor relay's free port pairs (signalling loop only): a call takes the lowest free pair and gives it back
/// when it ends, so at most ``FloorTarget/pairs`` calls are up at once and no two share a pair.
struct FloorPairs {
    /// Free pairs, the lowest last (taken first).
    private var free: [Int]

    init(count: Int) { free = Array((0..<count).reversed()) }

    mutating func take() -> Int? { free.popLast() }

    mutating func release(_ pair: Int) {
        let slot = free.firstIndex { $0 < pair } ?? free.endIndex
        free.insert(pair, at: slot)
    }
}
