import Media
import Synchronization
import Testing
import Transport

@Suite struct PortPoolTests {
    @Test func pairsAreEvenAndInRange() throws {
        var pool = PortPool(range: 30001...30010)
        #expect(pool.capacity == 4)  // 30002, 30004, 30006, 30008 (30010 has no odd partner in range)
        var ports: [UInt16] = []
        while pool.available > 0 { ports.append(try pool.allocate()) }
        #expect(ports == [30002, 30004, 30006, 30008])
        #expect(throws: PortPool.Failure.exhausted(inUse: 4)) { try pool.allocate() }
    }

    @Test func freedPairsAreReusedLast() throws {
        var pool = PortPool(range: 40000...40007)
        let first = try pool.allocate()
        let second = try pool.allocate()
        try pool.release(first)
        #expect(try pool.allocate() == 40004)
        #expect(try pool.allocate() == 40006)
        #expect(try pool.allocate() == first, "the freed pair comes back only after the never-used ones")
        try pool.release(second)
        #expect(pool.allocated == 3)
    }

    @Test func badReleasesAreRefused() throws {
        var pool = PortPool(range: 40000...40007)
        let port = try pool.allocate()
        try pool.release(port)
        #expect(throws: PortPool.Failure.notAllocated(port)) { try pool.release(port) }
        #expect(throws: PortPool.Failure.notAllocated(40001)) { try pool.release(40001) }
        #expect(throws: PortPool.Failure.notAllocated(50000)) { try pool.release(50000) }
        #expect(throws: PortPool.Failure.notAllocated(39998)) { try pool.release(39998) }
    }

    /// A million calls' worth of churn leaves the pool exactly as it was.
    @Test func churnLeavesNothingBehind() throws {
        var pool = PortPool(range: 30000...39999)
        var live: [UInt16] = []
        for round in 0..<200_000 {
            if live.count < 1000 && round % 3 != 2 {
                live.append(try pool.allocate())
            } else if !live.isEmpty {
                try pool.release(live.removeFirst())
            }
        }
        for port in live { try pool.release(port) }
        #expect(pool.available == pool.capacity)
        #expect(pool.capacity == 5000)
    }
}

/// Running out of file descriptors is not running out of ports: a distinct error that says so, and every pair
/// goes back to the pool (the socket factory is made to fail as `socket()` does with EMFILE).
@Suite(.serialized) struct OutOfDescriptorsTests {
    @Test func outOfDescriptorsIsNamedAndCostsNoPorts() throws {
        let opened = Mutex(0)
        let failAfter = Mutex(Int.max)
        var configuration = MediaEngine.Configuration(ports: 26800...26815, loops: 1)  // 8 pairs
        configuration.openSocket = { address throws(TransportError) in
            let count = opened.withLock { count in
                count += 1
                return count
            }
            guard count <= failAfter.withLock({ $0 }) else {
                throw TransportError(.outOfDescriptors, "a UDP socket could not be created: Too many open files")
            }
            return try UDPSocket(binding: address)
        }
        let engine = try MediaEngine(configuration: configuration)
        // Leg A gets its sockets, leg B's first socket fails.
        failAfter.withLock { $0 = 2 }
        var caught: MediaError?
        do {
            _ = try engine.createSession(callID: "emfile", streams: [MediaStreamSpec(rtcpMux: false)])
        } catch {
            caught = error
        }
        #expect(caught?.code == .outOfDescriptors)
        #expect(caught?.reason.contains("out of file descriptors") == true)
        #expect(opened.withLock { $0 } == 3, "no other port pair is tried: the ports are not at fault")
        #expect(engine.portUsage == (inUse: 0, free: 8), "every pair is back in the pool")
        // Descriptors free again: sessions get ports, every pair still usable.
        failAfter.withLock { $0 = Int.max }
        var ids: [UInt64] = []
        for i in 0..<4 {
            ids.append(try engine.createSession(callID: "ok\(i)", streams: [MediaStreamSpec()]).id)
        }
        #expect(engine.portUsage == (inUse: 8, free: 0))
        for id in ids { engine.endSessionAndWait(id) }
    }
}
