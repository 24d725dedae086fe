import Media
import Testing

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
