// srtp-leg-check: the end-to-end tests' proof that every media leg carried SRTP under its own keys.
//
//     srtp-leg-check INPUT.json [--output REPORT.json]
//
// INPUT (written by Tests/EndToEnd/run_e2e.py from the SDPs it saw and a tshark capture):
//
//     {"legs": [{"name": "A", "sotto_port": 30000,            // optional: "sotto_ip", "sotto_rtcp_port"
//                "peer_to_sotto": {"suite": "AES_CM_128_HMAC_SHA1_80", "key": "inline:..."},
//                "sotto_to_peer": {"suite": "...", "key": "..."}}, ...],
//      "packets": [{"src": "127.0.0.1:40000", "dst": "127.0.0.1:30000", "hex": "80..."}, ...],  // capture order
//      "max_rtcp_failures": 2}                                   // optional, per leg direction
//
// A packet belongs to a leg when its source or destination is the leg's `sotto_port` (RTP, and RTCP
// on rtcp-mux, told apart by payload type 200-204 as RFC 5761 §4 says) or `sotto_rtcp_port`
// (default sotto_port + 1; RTCP only). Packets *to* the port are unprotected with `peer_to_sotto`,
// packets *from* it with `sotto_to_peer`, each with an inbound context per (leg, direction, SSRC).
//
// libsrtp2 runs on its STOCK crypto types (never Sotto's OpenSSL ones), so the proof does not rest
// on the code under test.
//
// Exit 0 only when every RTP packet of every leg authenticated, every RTCP packet either authenticated
// or was plain RTCP sent in the clear (a well-formed compound with no SRTCP trailer) and there are at
// most `max_rtcp_failures` (default 2) of those per leg direction — baresip 1.0 sends a 16-byte APP
// "PINGPONG" at start and its RTCP BYE at hangup unprotected — every leg direction saw RTP, and all keys
// of all legs are pairwise distinct. Otherwise exit 1 with one sentence per problem on stderr. Exit 2
// for unusable input. Key material is never printed.
import Foundation
import SRTP
import SottoTestSupport

// MARK: - Output helpers

func writeStderr(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

func fail(_ message: String) -> Never {
    writeStderr("srtp-leg-check: \(message)")
    exit(2)
}

// MARK: - Input

struct Endpoint: Hashable {
    let ip: String
    let port: Int

    init?(_ text: String) {
        // "IP:PORT" or "[IPv6]:PORT"
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        self.ip = host
        self.port = port
    }

    var text: String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
}

enum Direction: String, CaseIterable {
    case peerToSotto = "peer_to_sotto"
    case sottoToPeer = "sotto_to_peer"
}

struct LegKey {
    let slot: String  // "LEG.direction", for messages
    let material: SRTPKeyMaterial
}

final class Leg {
    let name: String
    let sottoIP: String?
    let sottoPort: Int
    let sottoRTCPPort: Int
    let keys: [Direction: LegKey]
    var stats: [Direction: DirectionStats] = [:]
    var contexts: [Direction: [UInt32: SRTPContext]] = [:]

    init(json: [String: Any], index: Int) {
        guard let name = json["name"] as? String, !name.isEmpty else { fail("legs[\(index)] has no name") }
        guard let port = json["sotto_port"] as? Int, (1...65535).contains(port) else {
            fail("leg \(name) has no sotto_port from 1 to 65535")
        }
        self.name = name
        self.sottoIP = json["sotto_ip"] as? String
        self.sottoPort = port
        self.sottoRTCPPort = (json["sotto_rtcp_port"] as? Int) ?? port + 1
        var keys: [Direction: LegKey] = [:]
        for direction in Direction.allCases {
            guard let entry = json[direction.rawValue] as? [String: Any] else {
                fail("leg \(name) has no \(direction.rawValue) object")
            }
            guard let suite = entry["suite"] as? String else { fail("leg \(name) \(direction.rawValue) has no suite") }
            guard let profile = SRTPProfile(rawValue: suite) else {
                fail("leg \(name) \(direction.rawValue): \(suite) is not a suite this checker knows")
            }
            guard var keyText = entry["key"] as? String else { fail("leg \(name) \(direction.rawValue) has no key") }
            if !keyText.lowercased().hasPrefix("inline:") { keyText = "inline:" + keyText }
            do {
                let material = try SRTPKeyMaterial(sdesKeyParameter: keyText, profile: profile)
                keys[direction] = LegKey(slot: "\(name).\(direction.rawValue)", material: material)
            } catch {
                // SRTPError's reason never echoes the key.
                fail("leg \(name) \(direction.rawValue): \(error.reason)")
            }
            stats[direction] = DirectionStats()
            contexts[direction] = [:]
        }
        self.keys = keys
    }

    func owns(_ endpoint: Endpoint) -> (rtcpPort: Bool, matched: Bool) {
        if let sottoIP, sottoIP != endpoint.ip { return (false, false) }
        if endpoint.port == sottoPort { return (false, true) }
        if endpoint.port == sottoRTCPPort { return (true, true) }
        return (false, false)
    }
}

struct Counts {
    var packets = 0
    var authenticated = 0
    /// Every packet that did not unprotect, by verdict (`notRTP` when it is not RTP/RTCP at all).
    var failed: [String: Int] = [:]
    /// Of those, RTCP packets that are plain RTCP (no SRTCP trailer): sent in the clear.
    var unprotected = 0

    var failures: Int { failed.values.reduce(0, +) }

    var json: [String: Any] {
        ["packets": packets, "authenticated": authenticated, "failed": failed, "unprotected_plain": unprotected]
    }
}

struct DirectionStats {
    var rtp = Counts()
    var rtcp = Counts()
    var ssrcs: Set<UInt32> = []
    var peers: Set<String> = []
}

// MARK: - Arguments and input

var arguments = Array(CommandLine.arguments.dropFirst())
var outputPath: String?
if let index = arguments.firstIndex(of: "--output") {
    guard index + 1 < arguments.count else { fail("--output needs a path") }
    outputPath = arguments[index + 1]
    arguments.removeSubrange(index...(index + 1))
}
guard arguments.count == 1, !arguments[0].hasPrefix("-") else {
    fail("usage: srtp-leg-check INPUT.json [--output REPORT.json]")
}
guard let inputData = FileManager.default.contents(atPath: arguments[0]) else {
    fail("cannot read \(arguments[0])")
}
guard let input = (try? JSONSerialization.jsonObject(with: inputData)) as? [String: Any] else {
    fail("\(arguments[0]) is not a JSON object")
}
guard let legObjects = input["legs"] as? [[String: Any]], !legObjects.isEmpty else {
    fail("the input has no legs")
}
guard let packetObjects = input["packets"] as? [[String: Any]] else { fail("the input has no packets array") }
let maxRTCPFailures = (input["max_rtcp_failures"] as? Int) ?? 2

do {
    let backend = try SRTPLibrary.start(backend: .stock)
    guard backend == .stock else { fail("libsrtp2 did not start on its stock types") }
} catch {
    fail("libsrtp2 did not start: \(error.reason)")
}

let legs = legObjects.enumerated().map { Leg(json: $0.element, index: $0.offset) }
if Set(legs.map(\.name)).count != legs.count { fail("two legs share a name") }

// MARK: - The check

let bufferSize = 0x10000 + SRTPContext.maximumTrailerLength
let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: bufferSize, alignment: 16)
defer { buffer.deallocate() }

var unmatched = 0
var unmatchedExamples: [String] = []
var problems: [String] = []

@MainActor
func unprotect(_ bytes: [UInt8], leg: Leg, direction: Direction, peer: Endpoint, onRTCPPort: Bool) {
    var stats = leg.stats[direction]!
    defer { leg.stats[direction] = stats }
    stats.peers.insert(peer.text)
    // RFC 5761 §4: on a muxed port, second octet 200...204 is RTCP (SR, RR, SDES, BYE, APP).
    let isRTCP = onRTCPPort || (bytes.count >= 2 && (200...204).contains(bytes[1]))
    func record(_ verdict: String?) {
        if isRTCP {
            stats.rtcp.packets += 1
            if let verdict { stats.rtcp.failed[verdict, default: 0] += 1 } else { stats.rtcp.authenticated += 1 }
        } else {
            stats.rtp.packets += 1
            if let verdict { stats.rtp.failed[verdict, default: 0] += 1 } else { stats.rtp.authenticated += 1 }
        }
    }
    guard bytes.count >= 8, bytes[0] >> 6 == 2 else {
        record("notRTP")
        return
    }
    guard bytes.count <= 0x10000 else {
        record("tooLong")
        return
    }
    // RTP carries its SSRC at octet 8, RTCP (the first packet of a compound) at octet 4.
    let ssrcOffset = isRTCP ? 4 : 8
    guard bytes.count >= ssrcOffset + 4 else {
        record("tooShort")
        return
    }
    let ssrc = bytes[ssrcOffset..<ssrcOffset + 4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    stats.ssrcs.insert(ssrc)
    let context: SRTPContext
    if let existing = leg.contexts[direction]![ssrc] {
        context = existing
    } else {
        do {
            context = try SRTPContext(key: leg.keys[direction]!.material, direction: .inbound)
        } catch {
            fail("leg \(leg.name) \(direction.rawValue): \(error.reason)")
        }
        leg.contexts[direction]![ssrc] = context
    }
    buffer.copyBytes(from: bytes)
    let result =
        isRTCP
        ? context.unprotectRTCP(buffer, length: bytes.count)
        : context.unprotectRTP(buffer, length: bytes.count)
    switch result {
    case .ok: record(nil)
    case .dropped(let verdict):
        if isRTCP && isPlainRTCPCompound(bytes) {
            // Sent without SRTCP at all: counted apart (baresip sends a few of these, see the header).
            stats.rtcp.unprotected += 1
        }
        record(String(describing: verdict))
    }
}

/// Whether the packet is a well-formed plain RTCP compound: version 2 headers whose lengths add up to
/// the datagram exactly. An SRTCP packet never is (it carries the E flag, index and tag past the
/// last RTCP packet), so a packet that failed to unprotect and passes this was sent in the clear.
func isPlainRTCPCompound(_ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset + 4 <= bytes.count {
        guard bytes[offset] >> 6 == 2, (200...206).contains(bytes[offset + 1]) else { return false }
        offset += ((Int(bytes[offset + 2]) << 8 | Int(bytes[offset + 3])) + 1) * 4
    }
    return offset == bytes.count
}

for (index, object) in packetObjects.enumerated() {
    guard let srcText = object["src"] as? String, let src = Endpoint(srcText),
        let dstText = object["dst"] as? String, let dst = Endpoint(dstText)
    else { fail("packets[\(index)] needs src and dst as IP:PORT") }
    guard let hex = object["hex"] as? String, let bytes = Hex.bytes(hex) else {
        fail("packets[\(index)] has no payload in hex")
    }
    var touched = false
    for leg in legs {
        let to = leg.owns(dst)
        if to.matched {
            touched = true
            unprotect(bytes, leg: leg, direction: .peerToSotto, peer: src, onRTCPPort: to.rtcpPort)
        }
        let from = leg.owns(src)
        if from.matched {
            touched = true
            unprotect(bytes, leg: leg, direction: .sottoToPeer, peer: dst, onRTCPPort: from.rtcpPort)
        }
    }
    if !touched {
        unmatched += 1
        if unmatchedExamples.count < 10 { unmatchedExamples.append("\(src.text) -> \(dst.text)") }
    }
}

// Keys: every key of every leg must differ from every other (docs/architecture.md, rule 2: fresh keys per leg).
let allKeys = legs.flatMap { leg in Direction.allCases.map { leg.keys[$0]! } }
var sameKeys: [String] = []
for i in allKeys.indices {
    for j in allKeys.indices where j > i {
        if allKeys[i].material.storage.equals(allKeys[j].material.storage) {
            sameKeys.append("\(allKeys[i].slot) = \(allKeys[j].slot)")
        }
    }
}
for pair in sameKeys {
    problems.append("Two key slots carry the same master key and salt: \(pair).")
}

var legReports: [[String: Any]] = []
for leg in legs {
    var directions: [String: Any] = [:]
    for direction in Direction.allCases {
        let stats = leg.stats[direction]!
        let what = "leg \(leg.name) \(direction.rawValue) (suite \(leg.keys[direction]!.material.profile.rawValue))"
        if stats.rtp.packets == 0 {
            problems.append(
                "No RTP packet went \(direction == .peerToSotto ? "to" : "from") port \(leg.sottoPort) on \(what).")
        }
        if stats.rtp.failures > 0 {
            problems.append(
                "\(stats.rtp.failures) of \(stats.rtp.packets) RTP packets on \(what) did not authenticate "
                    + "(\(stats.rtp.failed.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")))."
            )
        }
        let otherRTCPFailures = stats.rtcp.failures - stats.rtcp.unprotected
        if otherRTCPFailures > 0 {
            problems.append(
                "\(otherRTCPFailures) of \(stats.rtcp.packets) RTCP packets on \(what) carried SRTCP that did not "
                    + "authenticate."
            )
        }
        if stats.rtcp.unprotected > maxRTCPFailures {
            problems.append(
                "\(stats.rtcp.unprotected) of \(stats.rtcp.packets) RTCP packets on \(what) were sent in the clear, "
                    + "more than the \(maxRTCPFailures) allowed."
            )
        }
        directions[direction.rawValue] = [
            "suite": leg.keys[direction]!.material.profile.rawValue,
            "rtp": stats.rtp.json,
            "rtcp": stats.rtcp.json,
            "ssrcs": stats.ssrcs.sorted().map { String(format: "0x%08x", $0) },
            "peers": stats.peers.sorted(),
        ]
    }
    var entry: [String: Any] = ["name": leg.name, "sotto_port": leg.sottoPort, "sotto_rtcp_port": leg.sottoRTCPPort]
    if let ip = leg.sottoIP { entry["sotto_ip"] = ip }
    entry["directions"] = directions
    legReports.append(entry)
}

let report: [String: Any] = [
    "ok": problems.isEmpty,
    "backend": "stock",
    "packets": packetObjects.count,
    "legs": legReports,
    "unmatched": ["packets": unmatched, "examples": unmatchedExamples],
    "keys": ["count": allKeys.count, "pairwise_distinct": sameKeys.isEmpty],
    "max_rtcp_failures": maxRTCPFailures,
    "problems": problems,
]
guard let reportData = try? JSONSerialization.data(withJSONObject: report, options: [.prettyPrinted, .sortedKeys])
else {
    fail("could not encode the report")
}
if let outputPath {
    guard FileManager.default.createFile(atPath: outputPath, contents: reportData) else {
        fail("cannot write \(outputPath)")
    }
} else {
    FileHandle.standardOutput.write(reportData)
    FileHandle.standardOutput.write(Data("\n".utf8))
}
for problem in problems { writeStderr("srtp-leg-check: \(problem)") }
exit(problems.isEmpty ? 0 : 1)
