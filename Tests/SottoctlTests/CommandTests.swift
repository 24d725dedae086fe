import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every subcommand, run as the real binary against the real admin server in `admin-fixture-server`.
@Suite struct CommandTests {
    @Test func sessionsTableListsBothSessionsWithTheirLegs() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["sessions"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0].hasPrefix("ID  CALL-ID"))
        #expect(lines[1].contains("LEG        PEER"))
        #expect(
            lines.contains { $0.hasPrefix(" 1  a84b4c76e66710@…  sip:1001@example.com  sip:+442071234567@pbx.example") }
        )
        #expect(
            lines.contains { $0.hasPrefix(" 2  f81d4fae-7dec-1…  sip:1002@example.com  sip:+33142685300@pbx.example") })
        #expect(lines.contains { $0.hasPrefix("    softphone  198.51.100.1:4000  AES_CM_128_HMAC_SHA1_80") })
        #expect(lines.contains { $0.hasPrefix("    pbx        203.0.113.5:20004  AEAD_AES_128_GCM") })
        #expect(lines.filter { $0.contains("  confirmed") }.count == 2)
        #expect(result.stderr.isEmpty)
    }

    @Test func sessionsJSONDecodesToSessions() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["sessions", "--json"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        let sessions = try decode([AdminSession].self, from: result.stdout)
        #expect(sessions.map(\.id) == [1, 2])
        #expect(sessions[0].legs.map(\.side) == ["softphone", "pbx"])
        // Pretty and with sorted keys, so diffs of saved output stay readable.
        #expect(result.stdout.hasPrefix("[\n  {\n    \"ageSeconds\""))
    }

    @Test func sessionShowsOneSessionInFull() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["session", "2"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        for expected in [
            "session 2", "  call-id  f81d4fae-7dec-11d0@agent2.example", "  from     sip:1002@example.com",
            "stream 1, softphone leg", "  local    192.0.2.1:30008", "stream 1, pbx leg", "  suite    AEAD_AES_128_GCM",
            "  jitter   0.5 ms",
        ] {
            #expect(result.stdout.contains(expected), "missing \(expected) in\n\(result.stdout)")
        }
        let json = try await sottoctl(["session", "1", "--json"], on: fixture)
        #expect(try decode(AdminSession.self, from: json.stdout).callID == "a84b4c76e66710@agent1.example")
    }

    @Test func unknownSessionIsOneSentenceAndStatusOne() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["session", "42"], on: fixture)
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr.hasPrefix("sottoctl: "))
        #expect(result.stderr.contains("42"))
        #expect(result.stderr.split(separator: "\n").count == 1, "one sentence: \(result.stderr)")
    }

    @Test func terminateEndsAnExistingSessionAndRefusesAnUnknownOne() async throws {
        let fixture = try await Fixture()
        let ended = try await sottoctl(["terminate", "1"], on: fixture)
        #expect(ended.status == 0, "\(ended.stderr)")
        #expect(!ended.stdout.isEmpty)
        let remaining = try decode(
            [AdminSession].self, from: try await sottoctl(["sessions", "--json"], on: fixture).stdout)
        #expect(remaining.map(\.id) == [2])

        let again = try await sottoctl(["terminate", "1"], on: fixture)
        #expect(again.status == 1)
        #expect(again.stderr.contains("1"), "\(again.stderr)")
        let unknown = try await sottoctl(["terminate", "42", "--json"], on: fixture)
        #expect(unknown.status == 1)
        #expect(unknown.stdout.isEmpty)
        #expect(unknown.stderr.hasPrefix("sottoctl: ") && unknown.stderr.contains("42"), "\(unknown.stderr)")
    }

    @Test func terminateJSONDecodesToDone() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["terminate", "2", "--json"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        _ = try decode(AdminDone.self, from: result.stdout)
    }

    @Test func registrationsTable() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["registrations"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout == """
                AOR                   CONTACT                                    FLOW  SOURCE            EXPIRES
                sip:1001@example.com  <sip:1001@192.0.2.10:50612;transport=tls>     1  192.0.2.10:50612    1h00m

                """)
        let json = try await sottoctl(["registrations", "--json"], on: fixture)
        #expect(try decode([AdminRegistration].self, from: json.stdout).map(\.flow) == [1])
    }

    @Test func statsTable() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["stats"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        for expected in [
            "calls              2 live (2 started, 0 ended)", "SRTP refusals      1", "  authFailed       2",
            "limit refusals     12 (requests_per_connection 10, calls_per_aor 2)",
            "TLS connections    3 open, 5 accepted, 1 handshake failures", "media ports        8 in use, 992 free",
            "sessions per loop  2, 0", "PBX                connected",
            "  loop 0           polling, 2.3 packets per wakeup (10 wakeups, 2 polling entries)",
            "  loop 1           events, 0.0 packets per wakeup (0 wakeups, 0 polling entries)",
        ] {
            #expect(result.stdout.contains(expected + "\n"), "missing \(expected) in\n\(result.stdout)")
        }
        let json = try await sottoctl(["stats", "--json"], on: fixture)
        #expect(try decode(AdminStats.self, from: json.stdout).portsFree == 992)
    }

    @Test func metricsPrintsThePrometheusTextAsIs() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["metrics"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("# TYPE "))
        #expect(result.stdout.hasSuffix("\n") && !result.stdout.hasSuffix("\n\n"))
        // --json carries the text exactly; the table form only makes sure it ends with a newline.
        let json = try await sottoctl(["metrics", "--json"], on: fixture)
        let text = try decode(String.self, from: json.stdout)
        #expect(text.contains("# TYPE sotto_sessions gauge\nsotto_sessions 2\n"))
    }

    @Test func logLevelChangesTheLevelAndRefusesANonLevel() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["log-level", "debug"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(!result.stdout.isEmpty)
        let json = try await sottoctl(["log-level", "info", "--json"], on: fixture)
        _ = try decode(AdminDone.self, from: json.stdout)
        let bad = try await sottoctl(["log-level", "loud"], on: fixture)
        #expect(bad.status == 1)
        #expect(bad.stderr.hasPrefix("sottoctl: \"loud\" is not a log level"), "\(bad.stderr)")
    }

    @Test func configIsGroupedBySection() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["config"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(
            result.stdout.hasPrefix(
                "[admin]\nsocket = /run/sotto/admin.sock\n\n[calls]\nmax_calls = 0\n\n[media]\nip    = 192.0.2.1\n"))
        #expect(result.stdout.contains("[sip]\ncert                = /etc/sotto/tls/cert.pem\n"))
        #expect(result.stdout.contains("require_client_cert = false\n"))
        #expect(result.stdout.contains("trusted_addresses = 10.0.0.1,10.0.0.2\n"))
        let json = try await sottoctl(["config", "--json"], on: fixture)
        #expect(try decode(AdminConfig.self, from: json.stdout)["upstream"]?["pbx"] == .string("pbx.example:5061"))
    }

    /// Scripts compare numbers with numbers: an integer, a boolean and a list come out as JSON of their own type
    /// (they were all strings: `"max_calls" : "0"`), and a string stays a string.
    @Test func configJSONGivesEachValueItsType() async throws {
        let fixture = try await Fixture()
        let json = try await sottoctl(["config", "--json"], on: fixture)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"max_calls\" : 0\n"), "\(json.stdout)")
        #expect(json.stdout.contains("\"require_client_cert\" : false\n"), "\(json.stdout)")
        #expect(json.stdout.contains("\"trusted_addresses\" : [\n      \"10.0.0.1\",\n      \"10.0.0.2\"\n    ]"))
        #expect(json.stdout.contains("\"ports\" : \"30000-30999\"\n"))
        // The same through a plain decoder expecting the JSON types, as a script would.
        let typed = try decode(TypedConfig.self, from: json.stdout)
        #expect(typed.calls.maxCalls == 0)
        #expect(typed.sip.requireClientCert == false)
        #expect(typed.upstream.trustedAddresses == ["10.0.0.1", "10.0.0.2"])
        #expect(typed.sip.listen == "0.0.0.0:5061")
    }

    /// The typed keys of the fixture's config; decoding fails if any is a JSON string.
    private struct TypedConfig: Decodable {
        struct Calls: Decodable {
            var maxCalls: Int
            enum CodingKeys: String, CodingKey { case maxCalls = "max_calls" }
        }
        struct SIP: Decodable {
            var requireClientCert: Bool
            var listen: String
            enum CodingKeys: String, CodingKey {
                case requireClientCert = "require_client_cert"
                case listen
            }
        }
        struct Upstream: Decodable {
            var trustedAddresses: [String]
            enum CodingKeys: String, CodingKey { case trustedAddresses = "trusted_addresses" }
        }
        var calls: Calls
        var sip: SIP
        var upstream: Upstream
    }

    @Test func versionShowsTheRelayAndTheClient() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["version"], on: fixture)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.hasPrefix("sotto        0.0.0-fixture\nstarted      2026-11-29T23:00:00Z\n"))
        #expect(result.stdout.contains("\nsottoctl     "))
        let json = try await sottoctl(["version", "--json"], on: fixture)
        #expect(try decode(AdminVersion.self, from: json.stdout).srtpCrypto == "openssl")
    }

    @Test func theSocketComesFromTheEnvironmentWhenNotGiven() async throws {
        let fixture = try await Fixture()
        var environment = ProcessInfo.processInfo.environment
        environment["SOTTO_ADMIN_SOCKET"] = fixture.socketPath
        let result = try await run(["version", "--json"], environment: environment)
        #expect(result.status == 0, "\(result.stderr)")
    }

    @Test func watchWithoutATerminalPrintsPlainFramesUntilTheServerGoes() async throws {
        let fixture = try await Fixture()
        let directory = try TemporaryDirectory("sottoctl-test")
        let outPath = directory.path + "/watch.out"
        let errPath = directory.path + "/watch.err"
        let watch = try ChildProcess(
            Products.sottoctl, ["watch", "--socket", fixture.socketPath, "--interval-ms", "100"],
            stdout: .file(outPath), stderr: .file(errPath))
        let output = { (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "" }
        #expect(await eventually { output().components(separatedBy: "PKT/S").count > 2 }, "two frames")
        await fixture.stop()
        #expect(try await watch.exitStatus() == 1)
        #expect(!output().contains("\u{1B}"), "no escape codes when stdout is not a terminal")
        #expect(output().contains("calls 2  sessions 2"))
        #expect(output().contains(" 1  sip:1001@example.com → sip:+442071234567@pbx.example"))
        #expect(output().contains("\n\nsotto  up "), "frames are separated by a blank line")
        let message = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        #expect(
            message == "sottoctl: the admin socket at \(fixture.socketPath) closed the connection (did sotto stop?)\n")
    }

    @Test func watchJSONStreamsOneFramePerLine() async throws {
        let fixture = try await Fixture()
        let directory = try TemporaryDirectory("sottoctl-test")
        let outPath = directory.path + "/watch.json"
        let watch = try ChildProcess(
            Products.sottoctl, ["watch", "--json", "--socket", fixture.socketPath, "--interval-ms", "100"],
            stdout: .file(outPath))
        let lines = { ((try? String(contentsOfFile: outPath, encoding: .utf8)) ?? "").split(separator: "\n") }
        #expect(await eventually { lines().count >= 3 })
        watch.signal(SIGTERM)
        #expect(try await watch.exitStatus() == 128 + SIGTERM)
        let frames = try lines().prefix(2).map { try decode(AdminWatchFrame.self, from: String($0)) }
        #expect(frames.map { $0.sessions.map(\.id).sorted() } == [[1, 2], [1, 2]])
    }
}
