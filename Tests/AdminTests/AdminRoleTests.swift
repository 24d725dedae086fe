import Admin
import AdminProtocol
import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Roles: the mapping from uid/gid, each role against the commands it may not run, and clients under
/// another uid (`setpriv` to nobody) seen through `SO_PEERCRED`.
@Suite struct AdminRoleTests {
    @Test("each role against each command", arguments: AdminRole.allCases, AdminCommand.table.map(\.name))
    func roleAgainstCommand(_ role: AdminRole, _ name: String) throws {
        let running = try RunningServer(access: AdminAccess(uids: [role: [getuid()]]))
        let command = try #require(AdminCommand.named(name))
        let reply = try AdminCommandTests.run(name, on: running.client(), export: role.may(run: command))
        let audit = (try? String(contentsOfFile: running.auditPath, encoding: .utf8)) ?? ""
        if role.may(run: command) {
            #expect(errorCode(reply) == nil, "\(role) \(name): \(reply)")
        } else {
            #expect(errorCode(reply) == "forbidden")
            #expect(errorMessage(reply).contains(command.role.rawValue))
            #expect(running.backend.terminated.isEmpty)
            #expect(running.backend.logLevel == "info")
            // The refusal is audited, with the role the peer does have.
            let line = parse(String(audit.split(separator: "\n").last ?? ""))
            #expect(line["cmd"] as? String == name)
            #expect(line["role"] as? String == role.rawValue)
            #expect(line["result"] as? String == "forbidden")
        }
        // Read-only commands are not audited; state-changing ones, those that reach a recording, and refusals
        // are. A read is not, but the export that granted it is.
        let audited = command.audited || !role.may(run: command) || (name == "recordings-read")
        #expect(audit.split(separator: "\n").count == (audited ? 1 : 0))
    }

    @Test func aViewerUnderAnotherUIDReadsButMayNotTerminate() async throws {
        let running = try RunningServer(
            access: AdminAccess(uids: [.viewer: [65534], .admin: [getuid()]]),
            configure: { $0.socketGroup = 65534 })
        let lines = try await runAsNobody(
            socket: running.socketPath,
            requests: [#"{"id":1,"cmd":"version"}"#, #"{"id":2,"cmd":"terminate","args":{"id":1}}"#])
        #expect(lines.count == 2)
        #expect((parse(lines[0])["result"] as? [String: Any])?["version"] as? String == FakeAdminBackend.version)
        #expect(errorCode(parse(lines[1])) == "forbidden")
        #expect(errorMessage(parse(lines[1])).contains("uid 65534"))
        #expect(running.backend.terminated.isEmpty)
        let audit = parse(
            try String(contentsOfFile: running.auditPath, encoding: .utf8).trimmingCharacters(in: .newlines))
        #expect(audit["uid"] as? Int == 65534)
        #expect(audit["role"] as? String == "viewer")
        #expect(audit["result"] as? String == "forbidden")
    }

    @Test func aGroupGrantReachesAPeerThroughItsGID() async throws {
        let running = try RunningServer(
            access: AdminAccess(uids: [.admin: [getuid()]], gids: [.operator: [65534]]),
            configure: { $0.socketGroup = 65534 })
        let lines = try await runAsNobody(
            socket: running.socketPath, requests: [#"{"id":1,"cmd":"terminate","args":{"id":2}}"#])
        #expect(errorCode(parse(lines.first ?? "")) == nil, "\(lines)")
        #expect(running.backend.terminated == [2])
    }

    @Test func aPeerWithNoRoleIsToldItsUIDAuditedAndClosed() async throws {
        let running = try RunningServer(configure: { $0.socketGroup = 65534 })
        let lines = try await runAsNobody(socket: running.socketPath, requests: [])
        #expect(
            lines == [
                #"{"id":null,"error":{"code":"forbidden","message":"uid 65534 has no role on this admin socket"}}"#,
                "EOF",
            ])
        let audit = parse(
            try String(contentsOfFile: running.auditPath, encoding: .utf8).trimmingCharacters(in: .newlines))
        #expect(audit["uid"] as? Int == 65534)
        #expect(audit["role"] is NSNull)
        #expect(audit["cmd"] as? String == "connect")
        #expect(audit["result"] as? String == "forbidden")
        #expect(answersVersion(running.socketPath))
    }

    @Test func rootHasNoRoleUnlessGranted() throws {
        let running = try RunningServer(access: AdminAccess(uids: [.admin: [4242]]))
        let client = try running.client()
        guard case .line(let line) = client.readLine() else {
            Issue.record("no refusal line")
            return
        }
        #expect(errorMessage(parse(line)) == "uid \(getuid()) has no role on this admin socket")
        #expect(client.readLine() == .closed)
    }

    @Test func theSocketIsOutOfReachWithoutItsGroup() async throws {
        // No socketGroup: the file is root's group with mode 0660, so nobody cannot even connect.
        let running = try RunningServer(access: AdminAccess(uids: [.viewer: [65534]]))
        let lines = try await runAsNobody(socket: running.socketPath, requests: [#"{"id":1,"cmd":"version"}"#])
        #expect(lines == ["CONNECT_ERROR \(EACCES)"])
    }

    // MARK: - AdminAccess

    @Test func specsResolveNumbersAndNames() throws {
        let access = try AdminAccess(specs: [
            .viewer: ["uid:1000", "gid:27"], .operator: ["user:root"], .admin: ["group:root", "uid:2000"],
            .auditor: ["uid:3000"],
        ])
        #expect(access.uids[.viewer] == [1000])
        #expect(access.gids[.viewer] == [27])
        #expect(access.uids[.operator] == [0])
        #expect(access.gids[.admin] == [0])
        #expect(access.uids[.admin] == [2000])
        #expect(access.uids[.auditor] == [3000])
    }

    @Test(
        "bad specs are errors naming the spec",
        arguments: [
            "user:no-such-user-sotto", "group:no-such-group-sotto", "uid:abc", "gid:-1", "pid:12", "alice", "uid:",
        ])
    func badSpecs(_ spec: String) {
        #expect {
            _ = try AdminAccess(specs: [.viewer: [spec]])
        } throws: { error in
            guard let error = error as? AdminAccessError else { return false }
            let value = spec.split(separator: ":", maxSplits: 1).last.map(String.init) ?? spec
            return error.spec == spec && error.description.contains(value)
        }
    }

    @Test func rolesAreALadderWithTheAuditorBesideIt() {
        let named = { (name: String) in AdminCommand.named(name)! }
        #expect(AdminRole.admin.may(run: named("terminate")) && AdminRole.admin.may(run: named("config")))
        #expect(!AdminRole.operator.may(run: named("config")) && AdminRole.operator.may(run: named("record")))
        #expect(AdminRole.auditor.may(run: named("sessions")) && AdminRole.auditor.may(run: named("recordings-list")))
        #expect(!AdminRole.auditor.may(run: named("terminate")) && !AdminRole.auditor.may(run: named("record")))
        for role in [AdminRole.viewer, .operator, .admin] {
            #expect(!role.may(run: named("recordings-export")))
        }
    }

    @Test func anAuditorGrantTakesPrecedence() {
        let access = AdminAccess(uids: [.admin: [1000], .auditor: [1000]], gids: [.admin: [50], .auditor: [70]])
        #expect(access.role(uid: 1000, gid: 100, supplementaryGroups: []) == .auditor)
        #expect(access.role(uid: 1001, gid: 50, supplementaryGroups: [70]) == .auditor)
        #expect(access.role(uid: 1001, gid: 50, supplementaryGroups: []) == .admin)
    }

    @Test func theHighestMatchingRoleWins() {
        let access = AdminAccess(uids: [.viewer: [1000], .operator: [1001]], gids: [.admin: [50], .operator: [60]])
        #expect(access.role(uid: 1000, gid: 100, supplementaryGroups: []) == .viewer)
        #expect(access.role(uid: 1000, gid: 60, supplementaryGroups: []) == .operator)
        #expect(access.role(uid: 1000, gid: 100, supplementaryGroups: [7, 50]) == .admin)
        #expect(access.role(uid: 1001, gid: 100, supplementaryGroups: [60]) == .operator)
        #expect(access.role(uid: 0, gid: 0, supplementaryGroups: [0]) == nil)
        #expect(access.role(uid: 1002, gid: 100, supplementaryGroups: []) == nil)
    }

    @Test func supplementaryGroupsComeFromTheUserDatabase() {
        #expect(AdminAccess.supplementaryGroups(ofUID: 0).contains(0))
        #expect(AdminAccess.supplementaryGroups(ofUID: 65534) == [65534])
        #expect(AdminAccess.supplementaryGroups(ofUID: 3_999_999_999).isEmpty)
    }
}
