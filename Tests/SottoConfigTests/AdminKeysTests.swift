import Testing

@testable import SottoConfig

@Suite struct AdminKeysTests {
    @Test(arguments: [
        ("[\"uid:abc\"]", "item 1: \"uid:abc\" needs a number after uid:"),
        ("[\"uid:0\", \"root\"]", "item 2: \"root\" is not uid:N, gid:N, user:NAME or group:NAME"),
        ("[\"group:\"]", "item 1: \"group:\" is not uid:N, gid:N, user:NAME or group:NAME"),
    ])
    func aRoleHolderThatIsNotAPrincipalIsRefused(value: String, reason: String) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["admin.operators": value]), in: directory)
        #expect(error?.key == "admin.operators")
        #expect(error?.reason == reason)
    }

    @Test func theRolesDefaultToRootAsAdminOnly() {
        let admin = SottoConfig.defaults.admin
        #expect(admin.admins == ["uid:0"] && admin.operators.isEmpty && admin.viewers.isEmpty)
        #expect(admin.auditLog == "/var/log/sotto/admin-audit.jsonl")
    }

    @Test func aSocketGroupMustBeANameOrNumber() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["admin.socket_group": "\"sotto admins\""]), in: directory)
        #expect(error?.key == "admin.socket_group")
        #expect(error?.reason == "\"sotto admins\" is not a group name or number")
    }

    @Test func auditorsAreNobodyByDefaultAndReadLikeTheOtherRoles() throws {
        #expect(SottoConfig.defaults.admin.auditors.isEmpty)
        let directory = try directoryWithCertificates()
        let config = try load(document(["admin.auditors": "[\"uid:1500\", \"group:root\"]"]), in: directory)
        try config.validated()
        #expect(config.admin.auditors == ["uid:1500", "group:root"])
        #expect(config.effectiveValues()["admin"]?["auditors"] == .strings(["uid:1500", "group:root"]))
        let error = loadError(document(["admin.auditors": "[\"officer\"]"]), in: directory)
        #expect(error?.key == "admin.auditors")
    }

    @Test(arguments: ["admin.viewers", "admin.operators", "admin.admins"])
    func anAuditorMayNotAlsoHoldAnotherRole(key: String) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(
            document(["admin.auditors": "[\"uid:1500\"]", key: "[\"uid:1500\", \"uid:0\"]"]), in: directory)
        #expect(error?.key == "admin.auditors")
        #expect(error?.reason.contains("uid:1500 is also in \(key)") == true, "\(error?.reason ?? "")")
    }
}
