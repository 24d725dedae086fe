import Admin
import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Every command over a real socket, with the least role that may run it.
@Suite struct AdminCommandTests {
    /// Valid arguments for each command in the table.
    static func arguments(for command: String) -> [String: Any] {
        switch command {
        case "session", "terminate": ["id": 1]
        case "watch": ["interval_ms": 100]
        case "log-level": ["level": "debug"]
        case "record": ["id": 1, "action": "pause"]
        case "recordings-list": [:]
        case "recordings-show": ["id": FakeRecordings.completeID]
        case "recordings-read": ["token": "00112233445566778899aabbccddeeff", "offset": 0, "length": 16]
        case let name where name.hasPrefix("recordings-"): ["id": FakeRecordings.completeID, "reason": "a test"]
        default: [:]
        }
    }

    /// Runs `name` with valid arguments on `client`; `recordings-read` with a token from an export first when
    /// `export` (the role may export), else with a made-up one.
    static func run(_ name: String, on client: TestClient, export: Bool = true) throws -> [String: Any] {
        var arguments = arguments(for: name)
        if name == "recordings-read", export {
            let grant = try client.result(
                AdminRecordingExportGrant.self, 90, "recordings-export",
                ["id": FakeRecordings.completeID, "reason": "a test"])
            arguments["token"] = grant.token
        }
        return try client.call(7, name, arguments)
    }

    @Test("every command in the table runs for its least role", arguments: AdminCommand.table)
    func everyCommandRunsForItsRole(_ command: AdminCommand) throws {
        let running = try RunningServer(access: AdminAccess(uids: [command.role: [getuid()]]))
        let client = try running.client()
        let reply = try Self.run(command.name, on: client)
        #expect(reply["id"] as? Int == 7)
        #expect(errorCode(reply) == nil, "\(command.name): \(reply)")
        #expect(reply["result"] != nil)
    }

    @Test func helpListsTheTableInOrder() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]]))
        let commands = try running.client().result([AdminCommand].self, 1, "help")
        #expect(commands == AdminCommand.table)
    }

    @Test func versionSessionsRegistrationsStatsAndConfigCarryTheBackendsFigures() throws {
        let running = try RunningServer(backend: FakeAdminBackend(clock: ManualClock()))
        let client = try running.client()
        #expect(try client.result(AdminVersion.self, 1, "version") == running.backend.version())
        let sessions = try client.result([AdminSession].self, 2, "sessions")
        #expect(sessions.map(\.id) == [1, 2])
        #expect(sessions[0].legs.map(\.side) == ["softphone", "pbx"])
        let registrations = try client.result([AdminRegistration].self, 3, "registrations")
        #expect(registrations == running.backend.registrations())
        let stats = try client.result(AdminStats.self, 4, "stats")
        #expect(stats == running.backend.stats())
        let config = try client.result(AdminConfig.self, 5, "config")
        #expect(config == running.backend.effectiveConfig())
        #expect(config["sip"]?["listen"] == .string("0.0.0.0:5061"))
    }

    @Test func sessionFindsOneAndSaysWhenThereIsNone() throws {
        let running = try RunningServer()
        let client = try running.client()
        #expect(try client.result(AdminSession.self, 1, "session", ["id": 2]).id == 2)
        // An id may come as a string of digits.
        #expect(try client.result(AdminSession.self, 2, "session", ["id": "1"]).id == 1)
        let missing = try client.call(3, "session", ["id": 9])
        #expect(errorCode(missing) == "not_found")
        #expect(errorMessage(missing).contains("9"))
    }

    @Test(
        "bad arguments get bad_arguments and the connection carries on",
        arguments: [
            #"{"id":5,"cmd":"session"}"#,
            #"{"id":5,"cmd":"session","args":{"id":-1}}"#,
            #"{"id":5,"cmd":"session","args":{"id":"seven"}}"#,
            #"{"id":5,"cmd":"session","args":{"id":true}}"#,
            #"{"id":5,"cmd":"session","args":{"id":1,"verbose":true}}"#,
            #"{"id":5,"cmd":"version","args":{"x":1}}"#,
            #"{"id":5,"cmd":"session","args":{"id":1.5}}"#,
            #"{"id":5,"cmd":"session","args":{"id":{"nested":1}}}"#,
            #"{"id":5,"cmd":"session","args":[1,2]}"#,
            #"{"id":5,"cmd":"watch","args":{"interval_ms":10}}"#,
            #"{"id":5,"cmd":"log-level","args":{"level":"loud"}}"#,
            #"{"id":5,"cmd":"log-level","args":{"level":7}}"#,
        ])
    func badArguments(_ request: String) throws {
        let running = try RunningServer()
        let client = try running.client()
        client.send(line: request)
        let reply = try client.reply()
        #expect(reply["id"] as? Int == 5)
        #expect(errorCode(reply) == "bad_arguments", "\(reply)")
        #expect(try client.result(AdminVersion.self, 6, "version").version == FakeAdminBackend.version)
        #expect(running.backend.logLevel == "info")
    }

    @Test func terminateEndsTheSessionAndIsAudited() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.operator: [getuid()]]))
        let client = try running.client()
        let done = try client.result(AdminDone.self, 1, "terminate", ["id": 1])
        #expect(done.message.contains("terminated"))
        #expect(running.backend.terminated == [1])
        #expect(try client.result([AdminSession].self, 2, "sessions").map(\.id) == [2])
        #expect(errorCode(try client.call(3, "terminate", ["id": 1])) == "not_found")
        let lines = try String(contentsOfFile: running.auditPath, encoding: .utf8).split(separator: "\n")
        #expect(lines.count == 2)
        let first = parse(String(lines[0]))
        #expect(first["cmd"] as? String == "terminate")
        #expect(first["role"] as? String == "operator")
        #expect(first["uid"] as? Int == Int(getuid()))
        #expect((first["args"] as? [String: String]) == ["id": "1"])
        #expect(first["result"] as? String == "ok")
        #expect(parse(String(lines[1]))["result"] as? String == "not_found")
    }

    @Test func logLevelSetsTheLevel() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.operator: [getuid()]]))
        let done = try running.client().result(AdminDone.self, 1, "log-level", ["level": "warning"])
        #expect(done.message.contains("warning"))
        #expect(running.backend.logLevel == "warning")
    }

    @Test func metricsIsPrometheusTextAsAJSONString() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]]))
        let text = try running.client().result(String.self, 1, "metrics")
        #expect(text.contains("# TYPE sotto_calls gauge\nsotto_calls 2\n"))
        #expect(text.contains("sotto_drops_total{reason=\"authFailed\"} 2\n"))
        #expect(text.hasSuffix("\n"))
    }

    @Test func watchStreamsFramesWithPacketRates() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [getuid()]]))
        let client = try running.client()
        client.send(line: #"{"id":42,"cmd":"watch","args":{"interval_ms":100}}"#)
        var frames: [AdminWatchFrame] = []
        for _ in 0..<4 {
            let reply = try client.reply()
            #expect(reply["id"] as? Int == 42)
            let data = try JSONSerialization.data(withJSONObject: reply["result"] ?? [:])
            frames.append(try JSONDecoder().decode(AdminWatchFrame.self, from: data))
        }
        #expect(frames.allSatisfy { $0.sessions.map(\.id) == [1, 2] })
        #expect(frames[0].sessions.allSatisfy { $0.packetsPerSecond == 0 })
        // Two legs sending 50 packets a second each: about 100 per second per session.
        let rates = frames[1...].flatMap(\.sessions).map(\.packetsPerSecond)
        #expect(rates.allSatisfy { $0 > 30 && $0 < 300 }, "\(rates)")
        // Input while watching is ignored; the frames go on.
        client.send(line: #"{"id":43,"cmd":"version"}"#)
        #expect(try client.reply()["id"] as? Int == 42)
    }

    @Test func unknownCommandsAndJunkGetErrorsWithTheIDWhenThereIsOne() throws {
        let running = try RunningServer()
        let client = try running.client()
        let unknown = try client.call(1, "reboot")
        #expect(errorCode(unknown) == "unknown_command")
        #expect(errorMessage(unknown).contains("reboot"))
        client.send(line: #"{"id":"one","cmd":"version"}"#)
        let noID = try client.reply()
        #expect(errorCode(noID) == "bad_request")
        #expect(noID["id"] is NSNull)
        client.send(line: #"{"id":3}"#)
        let noCommand = try client.reply()
        #expect(errorCode(noCommand) == "bad_request")
        #expect(noCommand["id"] as? Int == 3)
        #expect(try client.result(AdminVersion.self, 4, "version").version == FakeAdminBackend.version)
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() throws {
        let running = try RunningServer()
        let client = try running.client()
        let lines = (1...5).map { #"{"id":\#($0),"cmd":"version"}"# }.joined(separator: "\r\n") + "\r\n\n  \n"
        client.send(Array(lines.utf8))
        for id in 1...5 {
            #expect(try client.reply()["id"] as? Int == id)
        }
    }

    @Test func aSlowBackendCallHoldsUpOnlyTheClientThatAsked() throws {
        let running = try RunningServer(backend: FakeAdminBackend(registrationsDelay: .seconds(2)))
        let slow = try running.client()
        slow.send(line: #"{"id":1,"cmd":"registrations"}"#)
        let clock = ContinuousClock()
        let start = clock.now
        #expect(answersVersion(running.socketPath, within: .seconds(1)))
        #expect(clock.now - start < .seconds(1))
        #expect(try slow.reply()["id"] as? Int == 1)
    }
}
