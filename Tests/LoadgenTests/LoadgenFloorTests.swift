import Foundation
import Glibc
import Synchronization
import Testing

@testable import sotto_loadgen

/// `--floor`: the settings it accepts and refuses, the port-pair allocator, and a run through a latching
/// forwarder that does what `Benchmarks/compare/floor_relay.c` does (real UDP sockets).
@Suite struct LoadgenFloorTests {
    private func settings(_ arguments: [String]) throws -> LoadgenSettings {
        try LoadgenCommand.parse(arguments).settings()
    }

    private func refusal(_ arguments: [String]) -> String? {
        do {
            _ = try settings(arguments)
            return nil
        } catch {
            return "\(error)"
        }
    }

    @Test func parsesTheFloorTarget() throws {
        let parsed = try settings(["--floor", "127.0.0.1:40000-40007", "--concurrency", "4", "--calls", "8"])
        #expect(parsed.floor == FloorTarget(ip: "127.0.0.1", firstPort: 40000, lastPort: 40007))
        #expect(parsed.floor?.pairs == 4)
        let ports = try #require(parsed.floor).ports(ofPair: 3)
        #expect(ports.phone == 40006 && ports.pbx == 40007)
        #expect(parsed.certificate.isEmpty)
    }

    @Test func refusesBadRanges() {
        for bad in [
            "127.0.0.1:40000-40002", "127.0.0.1:40001-40000", "127.0.0.1:40000", "localhost:40000-40001",
            "127.0.0.1:0-1", "40000-40001", "::1:40000-40001",
        ] {
            #expect(refusal(["--floor", bad, "--concurrency", "1"])?.contains("--floor wants IP:FIRST-LAST") == true)
        }
    }

    @Test func refusesMoreCallsUpThanPairs() {
        let reason = refusal(["--floor", "127.0.0.1:40000-40003", "--concurrency", "3"])
        #expect(reason?.contains("exceeds the 2 port pairs") == true)
        #expect(refusal(["--floor", "127.0.0.1:40000-40003", "--concurrency", "2"]) == nil)
    }

    @Test func refusesSignallingOptions() {
        let reason = refusal(["--floor", "127.0.0.1:40000-40003", "--concurrency", "1", "--register", "--ring", "2"])
        #expect(reason?.contains("--register, --ring cannot be used with it") == true)
        let relay = refusal([
            "--floor", "127.0.0.1:40000-40003", "--concurrency", "1", "--relay", "127.0.0.1:5061",
        ])
        #expect(relay?.contains("--relay cannot be used") == true)
    }

    @Test func withoutFloorARelayAndCertificatesAreNeeded() {
        #expect(refusal(["--calls", "1"])?.contains("give --relay, --cert and --key") == true)
    }

    @Test func pairsAreTakenLowestFirstAndReused() {
        var pairs = FloorPairs(count: 3)
        #expect(pairs.take() == 0)
        #expect(pairs.take() == 1)
        #expect(pairs.take() == 2)
        #expect(pairs.take() == nil)
        pairs.release(1)
        pairs.release(0)
        #expect(pairs.take() == 0)
        #expect(pairs.take() == 1)
    }

    /// Calls through a latching forwarder: every call completes, every packet sent arrives, and the latch
    /// packets count nowhere (not as received media, not as drops), and nothing is authenticated. Packets are as
    /// long as SRTP ones, the tag's place zeroed (Opus frames vary in size: a stale longer frame would show there).
    @Test(arguments: ["pcmu", "opus"]) func runsThroughALatchingForwarder(codec: String) throws {
        let forwarder = try LatchingForwarder(pairs: 2)
        defer { forwarder.stop() }
        let parsed = try settings([
            "--floor", "127.0.0.1:\(forwarder.firstPort)-\(forwarder.firstPort + 3)", "--calls", "4",
            "--concurrency", "2", "--hold", "0.5", "--codec", codec, "--media-sockets", "1",
        ])
        let report = try LoadgenCommand.execute(parsed)
        forwarder.stop()
        #expect(report.calls.completed == 4)
        #expect(report.calls.failed == 0)
        for direction in [report.media.phoneToPBX, report.media.pbxToPhone] {
            #expect(direction.sent > 0)
            #expect(direction.received == direction.sent)
            #expect(direction.otherDrops == 0)
            #expect(direction.authFailures == 0)
            #expect(direction.latencyMs.count == direction.received)
        }
        // Each call's two sides sent a latch packet at least once; the forwarder saw them beside the media.
        let media = report.media.phoneToPBX.sent + report.media.pbxToPhone.sent
        #expect(forwarder.received >= media + 8)
        // PCMU: as long as the SRTP runs' packets (12 + 160 + the suite's 10-byte tag).
        if codec == "pcmu" { #expect(forwarder.rtpLengths == [182]) }
        #expect(!forwarder.nonzeroTrailer)
        #expect(report.passed)
    }
}

/// What the floor relay does, in a test's thread: ports FIRST+2k and FIRST+2k+1 are a pair, and a datagram
/// received on one goes out of the other to the address that port last received from (dropped until it has one).
final class LatchingForwarder: @unchecked Sendable {
    private(set) var firstPort: UInt16 = 0
    private var fds: [Int32] = []
    private var latched: [sockaddr_in?]
    private let stopped = Atomic<Bool>(false)
    private let count = Atomic<Int>(0)
    private let done = DispatchSemaphore(value: 0)

    /// Datagrams received so far (read after ``stop()``).
    var received: Int { count.load(ordering: .relaxed) }
    /// The lengths of the RTP datagrams seen, and whether any ended in a non-zero byte among its last 10 (read
    /// after ``stop()``).
    private(set) var rtpLengths: Set<Int> = []
    private(set) var nonzeroTrailer = false

    init(pairs: Int) throws {
        latched = Array(repeating: nil, count: 2 * pairs)
        // A free run of 2 * pairs ports: try a few bases in a range no other loadgen test uses.
        for _ in 0..<50 {
            let base = UInt16(52000 + (Int.random(in: 0..<2000) * 4) % 8000)
            var opened: [Int32] = []
            for offset in 0..<(2 * pairs) {
                let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
                var address = sockaddr_in()
                address.sin_family = sa_family_t(AF_INET)
                address.sin_port = (base + UInt16(offset)).bigEndian
                address.sin_addr.s_addr = inet_addr("127.0.0.1")
                let bound = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                    }
                }
                guard bound == 0 else {
                    close(fd)
                    break
                }
                opened.append(fd)
            }
            if opened.count == 2 * pairs {
                fds = opened
                firstPort = base
                let thread = Thread { [self] in
                    serve()
                    done.signal()
                }
                thread.start()
                return
            }
            opened.forEach { close($0) }
        }
        throw LoadgenError("no free run of \(2 * pairs) ports for the forwarder")
    }

    private func serve() {
        var polled = fds.map { pollfd(fd: $0, events: Int16(POLLIN), revents: 0) }
        var buffer = [UInt8](repeating: 0, count: 2048)
        while !stopped.load(ordering: .relaxed) {
            guard poll(&polled, nfds_t(polled.count), 20) > 0 else { continue }
            for index in polled.indices where polled[index].revents & Int16(POLLIN) != 0 {
                var source = sockaddr_in()
                var length = socklen_t(MemoryLayout<sockaddr_in>.size)
                let got = withUnsafeMutablePointer(to: &source) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fds[index], &buffer, buffer.count, Int32(MSG_DONTWAIT), $0, &length)
                    }
                }
                guard got > 0 else { continue }
                count.add(1, ordering: .relaxed)
                if buffer[0] >> 6 == 2 {
                    rtpLengths.insert(got)
                    if got >= 10 && buffer[(got - 10)..<got].contains(where: { $0 != 0 }) { nonzeroTrailer = true }
                }
                latched[index] = source
                guard var target = latched[index ^ 1] else { continue }
                _ = withUnsafePointer(to: &target) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fds[index ^ 1], buffer, got, Int32(MSG_DONTWAIT), $0, length)
                    }
                }
            }
        }
    }

    /// Stops the thread and closes the sockets (once; later calls do nothing).
    func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        done.wait()
        fds.forEach { close($0) }
    }
}
