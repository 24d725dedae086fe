// relay-bench: the media relay loop under load, for `make bench-relay`.
//
//   relay-bench step                 steps the number of calls up; prints the summary line
//   relay-bench relay --calls N --seconds S [--reference]
//   relay-bench generate --calls N --seconds S --map FILE
//
// `step` runs the relay pinned to core 0 and the generator pinned to core 1 (taskset), once per call
// count, until loss passes 0.1 % or the generator saturates; then the reference (the same forwarding
// driven by a blocking epoll_wait thread, no Dispatch) at the last count that held. Every call is two
// streams (A to B and B to A) of 50 packets/s, 160-byte payloads, AES_CM_128_HMAC_SHA1_80 with a
// different key on each leg, one socket per stream on both sides, as real calls have.
import Foundation
import MallocInterposerSwift
import Media
import SRTP
import Transport

let payloadSize = 160
let packetInterval = 0.020
// Below Linux's ephemeral range (32768-60999), so nothing else on the machine holds them.
let generatorBase: UInt16 = 10000
let relayPorts: ClosedRange<UInt16> = 20000...29999

/// Deterministic test keys (both processes derive the same), never real ones.
func key(call: Int, role: UInt8) -> SRTPKeyMaterial {
    let seed = UInt32(call) &* 2_654_435_761 ^ UInt32(role) &* 40503
    let bytes = (0..<30).map {
        UInt8(truncatingIfNeeded: (seed >> UInt32($0 % 4 * 8)) &+ UInt32($0) &* 29 &+ UInt32(role))
    }
    return try! SRTPKeyMaterial(profile: .aesCM128HMACSHA1_80, key: Array(bytes[..<16]), salt: Array(bytes[16...]))
}
// Roles: 0 phone's own key, 1 the key Sotto gives the phone, 2 PBX's own key, 3 the key Sotto gives the PBX.

func argument(_ name: String, default value: Int) -> Int {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count else {
        return value
    }
    return Int(CommandLine.arguments[index + 1]) ?? value
}

func cpuSeconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) + Double(
        usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

// MARK: relay

func runRelay() throws {
    let calls = argument("--calls", default: 100)
    let seconds = argument("--seconds", default: 5)
    let reference = CommandLine.arguments.contains("--reference")
    try SRTPLibrary.start()
    var configuration = MediaEngine.Configuration(ports: relayPorts, loops: 1, batchSize: 32)
    configuration.dispatchDriven = !reference
    let engine = try MediaEngine(configuration: configuration)
    var lines: [String] = []
    for call in 0..<calls {
        let created = try engine.createSession(
            callID: "bench-\(call)", streams: [MediaStreamSpec(rtcpMux: true)])
        let (id, ports) = (created.id, created.ports)
        try engine.updateLeg(
            MediaLegUpdate(
                session: id, stream: 0, side: .a,
                declaredRTP: UDPAddress(ip: "127.0.0.1", port: generatorBase + UInt16(2 * call))!,
                peerKey: key(call: call, role: 0), sottoKey: key(call: call, role: 1)))
        try engine.updateLeg(
            MediaLegUpdate(
                session: id, stream: 0, side: .b,
                declaredRTP: UDPAddress(ip: "127.0.0.1", port: generatorBase + UInt16(2 * call + 1))!,
                peerKey: key(call: call, role: 2), sottoKey: key(call: call, role: 3)))
        lines.append("\(call) \(ports[0].rtpA) \(ports[0].rtpB)")
    }
    engine.flush()  // every session on its loop with its keys before the generator starts
    print(lines.joined(separator: "\n"))
    print("READY")
    fflush(nil)
    // Measured from READY to the end: a thread waking mid-run to start a window proved unreliable on a
    // core the loop keeps busy. So the figures include libsrtp2 creating each SSRC's streams on its
    // first packets (a few allocations per stream, once); the forward path's own gate
    // (MediaBenchmarks) shows zero allocations per batch in steady state.
    func relayedSoFar() -> UInt64 {
        engine.snapshot().reduce(0) { total, session in
            total + session.streams[0].reduce(0) { $0 + $1.counters.packetsOut }
        }
    }
    let ready = Date()
    let deadline = ready.addingTimeInterval(Double(seconds) + 1.5)
    let cpuAtStart = cpuSeconds()
    MallocInterposerSwift.reset()
    MallocInterposerSwift.hook()
    if reference {
        engine.serveOnCurrentThread(loop: 0) { Date() < deadline }
    } else {
        Thread.sleep(until: deadline)
    }
    MallocInterposerSwift.unhook()
    let mallocs = MallocInterposerSwift.getStatistics().mallocCount
    let cpu = cpuSeconds() - cpuAtStart
    let relayed = relayedSoFar()
    var drops: UInt64 = 0
    for session in engine.snapshot() {
        for leg in session.streams[0] { drops += leg.counters.totalDrops }
    }
    print("RESULT relayed=\(relayed) drops=\(drops) cpu=\(cpu) mallocs=\(mallocs)")
    fflush(nil)
}

// MARK: generator

func runGenerator() throws {
    let calls = argument("--calls", default: 100)
    let seconds = argument("--seconds", default: 5)
    guard let mapIndex = CommandLine.arguments.firstIndex(of: "--map") else { fatalError("--map FILE") }
    let map = try String(contentsOfFile: CommandLine.arguments[mapIndex + 1], encoding: .utf8)
        .split(separator: "\n").map { $0.split(separator: " ").compactMap { UInt16($0) } }.filter { $0.count == 3 }
    precondition(map.count == calls, "port map has \(map.count) calls, expected \(calls)")
    try SRTPLibrary.start()

    // Socket 2i plays call i's phone (sends to relay leg A); socket 2i+1 its PBX (sends to leg B).
    var sockets: [UDPSocket] = []
    var senders: [SRTPContext] = []
    var destinations: [UDPAddress] = []
    var readers: [SRTPContext] = []
    for call in 0..<calls {
        for side in 0..<2 {
            sockets.append(
                try UDPSocket(binding: UDPAddress(ip: "127.0.0.1", port: generatorBase + UInt16(2 * call + side))!))
            senders.append(try SRTPContext(key: key(call: call, role: UInt8(side * 2)), direction: .outbound))
            readers.append(try SRTPContext(key: key(call: call, role: UInt8(side * 2 + 1)), direction: .inbound))
            destinations.append(UDPAddress(ip: "127.0.0.1", port: map[call][1 + side])!)
        }
    }
    let loop = try MediaLoop(label: "generator")
    let counter = GeneratorReceiver(readers: readers)
    loop.queue.sync {
        for (index, socket) in sockets.enumerated() {
            try! loop.register(fd: socket.fd, token: UInt64(index), handler: counter)
        }
    }
    let packet = UnsafeMutableRawBufferPointer.allocate(byteCount: 2048, alignment: 16)
    var sequence: UInt16 = 0
    var sent = 0
    let cpuStart = cpuSeconds()
    let start = Date()
    var nextTick = start
    let stopSending = start.addingTimeInterval(Double(seconds))
    let stopAll = stopSending.addingTimeInterval(0.5)
    // The loop is served from this thread (no Dispatch); between wakeups, every 20 ms, each socket sends
    // its stream's next packet.
    loop.serveBlocking(timeoutMilliseconds: 2) {
        let now = Date()
        if now >= nextTick && now < stopSending {
            sequence &+= 1
            for index in 0..<sockets.count {
                let header: [UInt8] = [
                    0x80, 0, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0, 0, 0, 0, UInt8(index >> 8),
                    UInt8(index & 0xFF),
                ]
                packet.copyBytes(from: header)
                let length = senders[index].protectRTP(packet, length: 12 + payloadSize).length!
                var storage = destinations[index].storage
                let result = withUnsafePointer(to: &storage) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(sockets[index].fd, packet.baseAddress, length, 0, $0, destinations[index].length)
                    }
                }
                if result == length { sent += 1 }
            }
            nextTick = nextTick.addingTimeInterval(packetInterval)
            if nextTick < now { nextTick = now }  // behind: the generator is saturated
        }
        return now < stopAll
    }
    let elapsed = Date().timeIntervalSince(start)
    let cpu = cpuSeconds() - cpuStart
    print(
        "RESULT sent=\(sent) received=\(counter.received) verified=\(counter.verified) corrupt=\(counter.corrupt) "
            + "cpu=\(cpu) elapsed=\(elapsed)")
}

/// The generator's receiving side: counts every datagram and decrypts a sample with the key Sotto
/// gave that side (decrypting all would make the generator the bottleneck).
final class GeneratorReceiver: MediaLoopHandler, @unchecked Sendable {
    let readers: [SRTPContext]
    let batch = DatagramBatch(capacity: 16, tailroom: 0)
    var received = 0
    var verified = 0
    var corrupt = 0

    init(readers: [SRTPContext]) { self.readers = readers }

    func readable(fd: Int32, token: UInt64, loop: MediaLoop) -> Int {
        let count = batch.receive(from: fd)
        guard count > 0 else { return 0 }
        received += count
        let slot = batch.slot(0)
        if slot[3] & 0x0F == 0 {
            if readers[Int(token)].unprotectRTP(slot, length: batch.length(0)).length == 12 + payloadSize {
                verified += 1
            } else {
                corrupt += 1
            }
        }
        return count
    }
}

// MARK: step

struct Run {
    var calls: Int
    var sent = 0, received = 0, corrupt = 0
    var relayed: UInt64 = 0
    var relayCPU = 0.0, generatorCPU = 0.0, generatorElapsed = 1.0
    var mallocs = 0
    var loss: Double { sent == 0 ? 1 : max(0, Double(sent - received)) / Double(sent) }
    var cpuPerPacket: Double { relayed == 0 ? 0 : relayCPU / Double(relayed) * 1e6 }
    var generatorLoad: Double { generatorCPU / generatorElapsed }
}

func fields(_ line: Substring) -> [String: String] {
    Dictionary(
        uniqueKeysWithValues: line.split(separator: " ").dropFirst().compactMap { item -> (String, String)? in
            let parts = item.split(separator: "=", maxSplits: 1)
            return parts.count == 2 ? (String(parts[0]), String(parts[1])) : nil
        })
}

func measure(calls: Int, seconds: Int, reference: Bool) throws -> Run {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    let mapFile = NSTemporaryDirectory() + "relay-bench-map-\(getpid())"
    let relay = Process()
    relay.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
    relay.arguments =
        ["-c", "0", me, "relay", "--calls", "\(calls)", "--seconds", "\(seconds)"] + (reference ? ["--reference"] : [])
    let relayOut = Pipe()
    relay.standardOutput = relayOut
    try relay.run()
    var relayText = ""
    let reader = relayOut.fileHandleForReading
    while !relayText.contains("READY\n") {
        let chunk = reader.availableData
        if chunk.isEmpty {
            relay.waitUntilExit()
            print("relay process failed to start \(calls) calls")
            return Run(calls: calls)
        }
        relayText += String(decoding: chunk, as: UTF8.self)
    }
    try relayText.replacingOccurrences(of: "READY\n", with: "").write(
        toFile: mapFile, atomically: true, encoding: .utf8)
    let generator = Process()
    generator.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
    generator.arguments = [
        "-c", "1", me, "generate", "--calls", "\(calls)", "--seconds", "\(seconds)", "--map", mapFile,
    ]
    let generatorOut = Pipe()
    generator.standardOutput = generatorOut
    try generator.run()
    let generatorText = String(decoding: generatorOut.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    generator.waitUntilExit()
    relayText += String(decoding: reader.readDataToEndOfFile(), as: UTF8.self)
    relay.waitUntilExit()
    try? FileManager.default.removeItem(atPath: mapFile)
    if relay.terminationStatus != 0 {
        print("relay process for \(calls) calls exited with status \(relay.terminationStatus)")
    }

    var run = Run(calls: calls)
    if let line = generatorText.split(separator: "\n").first(where: { $0.hasPrefix("RESULT") }) {
        let f = fields(line)
        run.sent = Int(f["sent"] ?? "") ?? 0
        run.received = Int(f["received"] ?? "") ?? 0
        run.corrupt = Int(f["corrupt"] ?? "") ?? 0
        run.generatorCPU = Double(f["cpu"] ?? "") ?? 0
        run.generatorElapsed = Double(f["elapsed"] ?? "") ?? 1
    }
    if let line = relayText.split(separator: "\n").first(where: { $0.hasPrefix("RESULT") }) {
        let f = fields(line)
        run.relayed = UInt64(f["relayed"] ?? "") ?? 0
        run.relayCPU = Double(f["cpu"] ?? "") ?? 0
        run.mallocs = Int(f["mallocs"] ?? "") ?? 0
    }
    let mode = reference ? "reference" : "dispatch"
    print(
        String(
            format:
                "%@ calls %5d: sent %7d received %7d loss %.3f%% corrupt %d, relay %.2f us cpu/packet, %d mallocs, generator %.0f%% cpu",
            mode, calls, run.sent, run.received, run.loss * 100, run.corrupt, run.cpuPerPacket, run.mallocs,
            run.generatorLoad * 100))
    fflush(nil)
    return run
}

func step() throws {
    let seconds = argument("--seconds", default: 5)
    var best: Run?
    var saturated = false
    for calls in [100, 250, 500, 750, 1000, 1250, 1500, 2000, 2500] {
        let run = try measure(calls: calls, seconds: seconds, reference: false)
        // The generator is the limit when it could not keep its own pace (or ran out of CPU).
        let expected = Double(calls * 2 * seconds) / packetInterval
        if run.generatorLoad > 0.95 || Double(run.sent) < 0.99 * expected { saturated = true }
        if run.loss > 0.001 || run.corrupt > 0 { break }
        if run.received > best?.received ?? -1 { best = run }
        if saturated { break }
    }
    guard let best else {
        print("relay loop: no step held loss under 0.1 %")
        exit(1)
    }
    let reference = try measure(calls: best.calls, seconds: seconds, reference: true)
    print(
        String(
            format:
                "relay loop: %.0f pps at %.2f%% loss, %.1f us cpu/packet, reference %.1f us (%.2fx), %@ mallocs/packet, %d streams, generator %.0f%% cpu%@",
            Double(best.received) / Double(seconds), best.loss * 100, best.cpuPerPacket, reference.cpuPerPacket,
            best.cpuPerPacket / max(reference.cpuPerPacket, 0.001),
            best.relayed == 0 ? "?" : String(format: "%.2g", Double(best.mallocs) / Double(best.relayed)),
            best.calls * 2, best.generatorLoad * 100, saturated ? " (generator saturated)" : ""))
}

/// One socket per stream on both sides needs more descriptors than the usual soft limit of 1024.
func raiseDescriptorLimit() {
    var limit = rlimit()
    getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    limit.rlim_cur = limit.rlim_max
    setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
}

raiseDescriptorLimit()
switch CommandLine.arguments.dropFirst().first {
case "relay": try runRelay()
case "generate": try runGenerator()
case "step": try step()
default:
    print(
        "usage: relay-bench step | relay --calls N --seconds S [--reference] | generate --calls N --seconds S --map FILE"
    )
    exit(2)
}
