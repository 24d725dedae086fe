import Admin
import AdminProtocol
import Testing

/// The exposition format 0.0.4, read back line by line with a small parser written from the format's text:
/// `# HELP name text`, `# TYPE name counter|gauge`, and `name{label="value",...} number`.
@Suite struct PrometheusTextTests {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: String
    }

    enum ParseError: Error {
        case bad(line: Int, String)
    }

    /// Every line parsed; throws at the first that is not valid 0.0.4 text, or a sample before its TYPE.
    static func parse(_ text: String) throws -> (samples: [Sample], types: [String: String], helps: [String: String]) {
        var samples: [Sample] = []
        var types: [String: String] = [:]
        var helps: [String: String] = [:]
        #expect(text.hasSuffix("\n"))
        for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast().enumerated() {
            if let match = line.wholeMatch(of: /# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) (.*)/) {
                let name = String(match.1)
                guard helps[name] == nil else { throw ParseError.bad(line: number + 1, "a second HELP") }
                helps[name] = String(match.2)
            } else if let match = line.wholeMatch(of: /# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)/) {
                let name = String(match.1)
                guard types[name] == nil else { throw ParseError.bad(line: number + 1, "a second TYPE") }
                types[name] = String(match.2)
            } else {
                let sample = try parseSample(Substring(line), line: number + 1)
                // A histogram's samples are its name with _bucket, _sum or _count.
                let family = sample.name.replacing(/_(bucket|sum|count)$/, with: "")
                guard types[sample.name] != nil || types[family] == "histogram" else {
                    throw ParseError.bad(line: number + 1, "a sample before its TYPE")
                }
                samples.append(sample)
            }
        }
        return (samples, types, helps)
    }

    static func parseSample(_ line: Substring, line number: Int) throws -> Sample {
        var rest = line[...]
        guard let nameMatch = rest.prefixMatch(of: /[a-zA-Z_:][a-zA-Z0-9_:]*/) else {
            throw ParseError.bad(line: number, "no metric name")
        }
        let name = String(nameMatch.0)
        rest = rest[nameMatch.range.upperBound...]
        var labels: [String: String] = [:]
        if rest.first == "{" {
            rest = rest.dropFirst()
            while rest.first != "}" {
                guard let labelMatch = rest.prefixMatch(of: /([a-zA-Z_][a-zA-Z0-9_]*)="/) else {
                    throw ParseError.bad(line: number, "a bad label")
                }
                rest = rest[labelMatch.range.upperBound...]
                var value = ""
                while true {
                    guard let character = rest.popFirst() else { throw ParseError.bad(line: number, "open quote") }
                    if character == "\"" { break }
                    if character == "\\" {
                        switch rest.popFirst() {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: throw ParseError.bad(line: number, "a bad escape")
                        }
                    } else {
                        value.append(character)
                    }
                }
                labels[String(labelMatch.1)] = value
                if rest.first == "," { rest = rest.dropFirst() }
            }
            rest = rest.dropFirst()
        }
        guard rest.first == " " else { throw ParseError.bad(line: number, "no space before the value") }
        let value = String(rest.dropFirst())
        guard Double(value) != nil || ["+Inf", "-Inf", "NaN"].contains(value) else {
            throw ParseError.bad(line: number, "\(value) is not a number")
        }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Figures picked for the renderer: a counter past 2^53, a drop reason that needs escaping, two sessions.
    static let stats = AdminStats(
        uptimeSeconds: 12.5, calls: 2, sessions: 2, callsStarted: 10, callsEnded: 8, srtpRefusals: 3,
        packetsRelayed: 1 << 60, bytesRelayed: 123_456_789,
        drops: ["authFailed": 4, "replay": 1, "odd\"reason\\x\ny": 2],
        tlsConnectionsOpen: 2, tlsConnectionsAccepted: 9, tlsHandshakeFailures: 5, portsInUse: 8, portsFree: 992,
        loopSessions: [1, 1], pbxConnected: true)

    static let sessions: [AdminSession] = [UInt64(1), 2].map { id in
        let leg = { (side: String) in
            AdminLeg(
                side: side, local: "192.0.2.1:30000", peer: "198.51.100.7:4000", suite: "AES_CM_128_HMAC_SHA1_80",
                packetsIn: 500, packetsOut: 500, bytesIn: 90_000, bytesOut: 90_000, drops: ["authFailed": 1],
                loss: 0.01, jitterMs: 2.5)
        }
        return AdminSession(
            id: id, callID: "call-\(id)@test", from: "sip:a@x", to: "sip:b@y", ageSeconds: 10, state: "confirmed",
            legs: [leg("softphone"), leg("pbx")])
    }

    @Test func everyLineParsesAndEverySampleHasItsType() throws {
        let text = PrometheusText.render(stats: Self.stats, sessions: Self.sessions)
        let (samples, types, helps) = try Self.parse(text)
        #expect(Set(types.keys) == Set(helps.keys))
        #expect(samples.count > 20)
        for sample in samples where sample.name.hasSuffix("_total") {
            #expect(types[sample.name] == "counter", "\(sample.name)")
        }
    }

    @Test func theFiguresAreThere() throws {
        let (samples, types, _) = try Self.parse(
            PrometheusText.render(stats: Self.stats, sessions: Self.sessions))
        func value(_ name: String, _ labels: [String: String] = [:]) -> String? {
            samples.first { $0.name == name && $0.labels == labels }?.value
        }
        #expect(value("sotto_calls") == "2")
        #expect(types["sotto_calls"] == "gauge")
        // A counter past 2^53 keeps every digit.
        #expect(value("sotto_packets_relayed_total") == "1152921504606846976")
        #expect(value("sotto_drops_total", ["reason": "authFailed"]) == "4")
        #expect(value("sotto_tls_handshake_failures_total") == "5")
        #expect(value("sotto_ports_in_use") == "8")
        #expect(value("sotto_loop_sessions", ["loop": "0"]) == "1")
        #expect(value("sotto_loop_sessions", ["loop": "1"]) == "1")
        #expect(value("sotto_uptime_seconds") == "12.5")
        #expect(value("sotto_pbx_connected") == "1")
        #expect(value("sotto_session_jitter_seconds", ["session": "1", "leg": "0", "side": "softphone"]) == "0.0025")
        #expect(
            value("sotto_session_drops_total", ["session": "2", "leg": "1", "side": "pbx", "reason": "authFailed"])
                == "1")
    }

    @Test func labelValuesAreEscapedAndReadBackWhole() throws {
        let text = PrometheusText.render(stats: Self.stats, sessions: [])
        #expect(text.contains(#"sotto_drops_total{reason="odd\"reason\\x\ny"} 2"#))
        let (samples, _, _) = try Self.parse(text)
        #expect(samples.contains { $0.labels["reason"] == "odd\"reason\\x\ny" })
    }

    @Test func specialValuesAreSpelledAsTheFormatSays() throws {
        var stats = Self.stats
        stats.uptimeSeconds = .infinity
        var session = try #require(Self.sessions.first)
        session.legs[0].loss = .nan
        session.legs[1].jitterMs = nil
        let text = PrometheusText.render(stats: stats, sessions: [session])
        #expect(text.contains("sotto_uptime_seconds +Inf\n"))
        #expect(text.contains(#"sotto_session_loss_ratio{session="1",leg="0",side="softphone"} NaN"#))
        // No figure, no sample: a leg without jitter has none.
        #expect(!text.contains(#"sotto_session_jitter_seconds{session="1",leg="1""#))
        _ = try Self.parse(text)
    }

    @Test func theParserRejectsWhatIsNotTheFormat() {
        for bad in ["sotto_x{a=\"b\" 1\n", "sotto x 1\n", "# TYPE sotto_x gauge\nsotto_x one\n", "sotto_y 1\n"] {
            #expect(throws: ParseError.self) { try Self.parse(bad) }
        }
    }
}
