import Admin
import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// What a confused or hostile client can do: after each, a fresh client still gets `version` back promptly.
@Suite struct AdminAbuseTests {
    @Test(
        "junk gets an error and the connection carries on",
        arguments: [
            "hello world", "{]", "[1,2]", "\"version\"", "42", "null", "{\"id\":1,\"cmd\":7}", "\u{FF}\u{FE}",
            String(repeating: "[", count: 60000),
            "{\"id\":1,\"cmd\":\"version\",\"args\":" + String(repeating: "{\"a\":", count: 9000),
            "{\"id\":1e400,\"cmd\":\"version\"}",
        ])
    func junk(_ text: String) throws {
        let running = try RunningServer()
        let client = try running.client()
        client.send(line: text)
        let reply = try client.reply()
        #expect(errorCode(reply) == "bad_request", "\(reply)")
        #expect(try client.result(AdminVersion.self, 2, "version").version == FakeAdminBackend.version)
        #expect(answersVersion(running.socketPath))
    }

    @Test func invalidUTF8IsABadRequest() throws {
        let running = try RunningServer()
        let client = try running.client()
        client.send(Array(#"{"id":1,"cmd":"vers"#.utf8) + [0xC3, 0x28] + Array("\"}\n".utf8))
        #expect(errorCode(try client.reply()) == "bad_request")
        #expect(answersVersion(running.socketPath))
    }

    @Test func aNULByteGetsAnErrorAndACLose() throws {
        let running = try RunningServer()
        let client = try running.client()
        client.send(Array(#"{"id":1,"cmd":"vers"#.utf8) + [0] + Array("ion\"}\n".utf8))
        let reply = try client.reply()
        #expect(errorCode(reply) == "bad_request")
        #expect(errorMessage(reply).contains("NUL"))
        #expect(client.readLine() == .closed)
        #expect(running.server.closes("NUL byte") == 1)
        #expect(answersVersion(running.socketPath))
    }

    @Test func aOneMebibyteLineGetsAnErrorAndACloseWithoutBeingBuffered() throws {
        let running = try RunningServer()
        let client = try running.client()
        // Sent without waiting for a reply; the server closes partway through, so the send may fail.
        client.send([UInt8](repeating: UInt8(ascii: "a"), count: 1 << 20) + [0x0a])
        let reply = try client.reply()
        #expect(errorCode(reply) == "bad_request")
        #expect(errorMessage(reply).contains("65536"))
        #expect(client.readLine() == .closed)
        #expect(running.server.closes("line too long") == 1)
        #expect(answersVersion(running.socketPath))
    }

    @Test func aLineAtTheLimitIsStillRead() throws {
        let running = try RunningServer(configure: { $0.maxLineBytes = 200 })
        let client = try running.client()
        let request = #"{"id":1,"cmd":"version","pad":""#
        let line = request + String(repeating: " ", count: 200 - request.utf8.count - 2) + "\"}"
        #expect(line.utf8.count == 200)
        client.send(line: line)
        #expect(try client.reply()["id"] as? Int == 1)
        client.send(line: line + " ")
        #expect(errorCode(try client.reply()) == "bad_request")
        #expect(client.readLine() == .closed)
    }

    @Test func aWatcherThatNeverReadsIsClosedAtTheOutputLimit() throws {
        // 400 sessions make each frame a few hundred kilobytes, so the default 1 MiB limit is reached in a
        // few frames once the kernel's buffers are full.
        let running = try RunningServer(backend: FakeAdminBackend(sessions: 400))
        let client = try running.client()
        client.send(line: #"{"id":1,"cmd":"watch","args":{"interval_ms":100}}"#)
        #expect(eventually { running.server.closes("output limit reached") == 1 })
        // What reaches the client is bounded by the limit plus the socket buffers, never the whole stream.
        let received = try #require(client.drainToClose())
        #expect(received < 4 << 20, "\(received) bytes")
        #expect(running.server.connectionCount == 0)
        #expect(answersVersion(running.socketPath))
    }

    @Test func connectionsPastTheLimitAreToldSoAndClosed() throws {
        // One uid, every role the same: only the total limit is at play here (AdminConnectionLimitTests has the rest).
        let running = try RunningServer(configure: {
            $0.maxConnections = 16
            $0.maxConnectionsPerUID = 16
            $0.reservedConnections = 0
        })
        var held: [TestClient] = []
        for index in 0..<16 {
            let client = try running.client()
            #expect(try client.result(AdminVersion.self, index, "version").version == FakeAdminBackend.version)
            held.append(client)
        }
        for _ in 0..<100 {
            let extra = try running.client()
            guard case .line(let line) = extra.readLine() else {
                Issue.record("no refusal line")
                continue
            }
            #expect(errorMessage(parse(line)).contains("too many admin connections"))
            #expect(extra.readLine() == .closed)
        }
        #expect(running.server.refusedForLimit == 100)
        // The ones admitted still work.
        #expect(try held[3].result(AdminVersion.self, 100, "version").version == FakeAdminBackend.version)
        held.removeAll()
        #expect(eventually { running.server.connectionCount == 0 })
        #expect(answersVersion(running.socketPath))
    }

    @Test func anIdleClientIsToldAndClosed() throws {
        let running = try RunningServer(configure: { $0.idleTimeout = .milliseconds(300) })
        let client = try running.client()
        let reply = try client.reply()
        #expect(errorMessage(reply).contains("no request in 300 ms"))
        #expect(client.readLine() == .closed)
        #expect(running.server.closes("idle") == 1)
        #expect(answersVersion(running.socketPath))
    }

    @Test func aWatcherIsNotIdle() throws {
        let running = try RunningServer(configure: { $0.idleTimeout = .milliseconds(200) })
        let client = try running.client()
        client.send(line: #"{"id":1,"cmd":"watch","args":{"interval_ms":100}}"#)
        // Ten frames is about a second, five idle timeouts.
        for _ in 0..<10 {
            #expect(try client.reply()["id"] as? Int == 1)
        }
        #expect(running.server.closes("idle") == 0)
    }

    @Test func aClientThatHangsUpMidReplyLeavesTheServerWell() throws {
        let running = try RunningServer(
            backend: FakeAdminBackend(sessions: 400), configure: { $0.maxConnectionsPerUID = 16 })
        for id in 0..<12 {
            let client = try running.client()
            client.send(line: #"{"id":\#(id),"cmd":"sessions"}"#)
        }
        #expect(eventually { running.server.closes("socket error") + running.server.closes("peer closed") == 12 })
        #expect(running.server.connectionCount == 0)
        #expect(answersVersion(running.socketPath))
    }
}
