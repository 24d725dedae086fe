// relay-bench: the media relay loop under load, for `make bench-relay`.
//
//   relay-bench step                 steps the number of calls up; prints a line per step and the summary
//   relay-bench relay --calls N --seconds S [--mode dispatch|events|thread]
//   relay-bench generate --calls N --seconds S --map FILE
//
// `step` runs the relay pinned to core 0 and the generator pinned to core 1 (taskset), at each call count in
// three modes, one after the other: `dispatch` (the product: Dispatch-driven, polling on a timer tick under
// load), `events` (Dispatch-driven, polling off: one wakeup per readiness event, as before polling) and
// `thread` (the reference: a dedicated thread blocking in epoll_wait, no Dispatch). It stops at the first
// count where loss passes 0.1 % or the generator saturates. Every call is two streams (A to B and B to A) of
// 50 packets/s, 160-byte payloads, AES_CM_128_HMAC_SHA1_80 with a different key on each leg, one socket per
// stream on both sides, as real calls have; the streams' 20 ms periods are spread over 100 slices of 200 µs (real
// calls do not start in phase, and a generator that sent every stream at once would hand the relay bursts
// that hide what a wakeup costs).
import Foundation
import MallocInterposerSwift
import Media
import SRTP
import Transport

let payloadSize = 160
let packetInterval = 0.020
/// The 20 ms period is sent in this many slices of 200 µs.
let slices = 100
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

func option(_ name: String, default value: String) -> String {
    guard let index = CommandLine.arguments.firstIndex(of: name), index + 1 < CommandLine.arguments.count else {
        return value
    }
    return CommandLine.arguments[index + 1]
}

func argument(_ name: String, default value: Int) -> Int {
    Int(option(name, default: "")) ?? value
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
    let mode = option("--mode", default: "dispatch")
    let reference = mode == "thread"
    try SRTPLibrary.start()
    var configuration = MediaEngine.Configuration(ports: relayPorts, loops: 1, batchSize: 32)
    configuration.dispatchDriven = !reference
    configuration.polling = mode == "events" ? .off : MediaLoopPolling()
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
    let loop = engine.loopStatistics()[0]
    let perWakeup = loop.wakeups == 0 ? 0 : Double(loop.packets) / Double(loop.wakeups)
    print("RESULT relayed=\(relayed) drops=\(drops) cpu=\(cpu) mallocs=\(mallocs) perwakeup=\(perWakeup)")
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
    // The loop is served from this thread (no Dispatch), polled between sends; every 200 µs the sockets of that
    // slice (one in 100) send their stream's next packet, so each stream still sends every 20 ms, and the relay
    // sees packets spread over the period as independent phones send them, not in bursts.
    var slice = 0
    var now = Date()
    while now < stopAll {
        _ = loop.poll(timeoutMilliseconds: 0)
        now = Date()
        // Every slice due is sent, late ones too (a sleep often wakes late), so that each stream keeps 50
        // packets/s; only a generator more than 100 ms behind gives up the slices it missed.
        if now.timeIntervalSince(nextTick) > 0.1 { nextTick = now }
        while now >= nextTick && now < stopSending {
            if slice == 0 { sequence &+= 1 }
            for index in stride(from: slice, to: sockets.count, by: slices) {
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
            slice = (slice + 1) % slices
            nextTick = nextTick.addingTimeInterval(packetInterval / Double(slices))
        }
        let wait = nextTick.timeIntervalSince(Date())
        if wait > 0 { usleep(UInt32(min(wait, 0.0002) * 1e6)) }
        now = Date()
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
    var perWakeup = 0.0
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

func measure(calls: Int, seconds: Int, mode: String) throws -> Run {
    let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().path
    let mapFile = NSTemporaryDirectory() + "relay-bench-map-\(getpid())"
    let relay = Process()
    relay.executableURL = URL(fileURLWithPath: "/usr/bin/taskset")
    relay.arguments =
        ["-c", "0", me, "relay", "--calls", "\(calls)", "--seconds", "\(seconds)", "--mode", mode]
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
        run.perWakeup = Double(f["perwakeup"] ?? "") ?? 0
    }
    print(
        String(
            format:
                "%@ calls %5d: sent %7d received %7d loss %.3f%% corrupt %d, relay %.2f us cpu/packet, %.1f packets/wakeup, %d mallocs, generator %.0f%% cpu",
            mode, calls, run.sent, run.received, run.loss * 100, run.corrupt, run.cpuPerPacket, run.perWakeup,
            run.mallocs, run.generatorLoad * 100))
    fflush(nil)
    return run
}

func step() throws {
    let seconds = argument("--seconds", default: 5)
    var best: Run?
    var worstToThread = 0.0
    var saturated = false
    for calls in [100, 250, 500, 750, 1000, 1250, 1500, 2000, 2500] {
        // The three modes at the same count, one after the other, so they meet the same machine.
        let run = try measure(calls: calls, seconds: seconds, mode: "dispatch")
        let events = try measure(calls: calls, seconds: seconds, mode: "events")
        let thread = try measure(calls: calls, seconds: seconds, mode: "thread")
        // The generator is the limit when it could not keep its own pace (or ran out of CPU).
        let expected = Double(calls * 2 * seconds) / packetInterval
        if run.generatorLoad > 0.95 || Double(run.sent) < 0.99 * expected { saturated = true }
        if run.loss > 0.001 || run.corrupt > 0 { break }
        let toThread = run.cpuPerPacket / max(thread.cpuPerPacket, 0.001)
        worstToThread = max(worstToThread, toThread)
        print(
            String(
                format:
                    "step %5d streams: dispatch %.1f us, thread %.1f us, events %.1f us; dispatch/thread %.2fx, events/thread %.2fx",
                calls * 2, run.cpuPerPacket, thread.cpuPerPacket, events.cpuPerPacket, toThread,
                events.cpuPerPacket / max(thread.cpuPerPacket, 0.001)))
        fflush(nil)
        if run.received > best?.received ?? -1 { best = run }
        if saturated { break }
    }
    guard let best else {
        print("relay loop: no step held loss under 0.1 %")
        exit(1)
    }
    print(
        String(
            format:
                "relay loop: %.0f pps at %.2f%% loss, %.1f us cpu/packet, dispatch/thread at most %.2fx over the steps (target 1.15x), %@ mallocs/packet, %d streams, generator %.0f%% cpu%@",
            Double(best.received) / Double(seconds), best.loss * 100, best.cpuPerPacket, worstToThread,
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
        "usage: relay-bench step | relay --calls N --seconds S [--mode dispatch|events|thread] | generate --calls N --seconds S --map FILE"
    )
    exit(2)
}
