import Testing

@testable import SottoConfig

/// `[process]`: whether Sotto may run as root, and the account it switches to.
@Suite struct PrivilegeDropTests {
    static let users: [String: PrivilegeDrop.Account] = [
        "sotto": .init(uid: 998, gid: 997), "root": .init(uid: 0, gid: 0), "4242": .init(uid: 4242, gid: nil),
    ]
    static let groups: [String: UInt32] = ["sotto": 997, "audio": 29]

    static func config(user: String = "", group: String = "", allowRoot: Bool = false) -> SottoConfig {
        var config = SottoConfig()
        config.file = "sotto.toml"
        config.process.runAsUser = user
        config.process.runAsGroup = group
        config.process.allowRoot = allowRoot
        return config
    }

    static func decide(_ config: SottoConfig, euid: UInt32, egid: UInt32 = 0) throws(ConfigError) -> PrivilegeDrop? {
        try config.privilegeDrop(euid: euid, egid: egid, user: { users[$0] }, group: { groups[$0] })
    }

    static func refusal(_ config: SottoConfig, euid: UInt32, egid: UInt32 = 0) -> ConfigError? {
        do {
            let drop = try decide(config, euid: euid, egid: egid)
            Issue.record("expected a refusal, got \(String(describing: drop))")
            return nil
        } catch {
            return error
        }
    }

    @Test func rootWithoutRunAsIsRefused() {
        let error = Self.refusal(Self.config(), euid: 0)
        #expect(error?.file == "sotto.toml")
        #expect(error?.key == "process.run_as_user")
        #expect(error?.reason.contains("started as root") == true)
        #expect(error?.reason.contains("process.allow_root = true") == true)
    }

    @Test func rootWithAllowRootStaysRoot() throws {
        #expect(try Self.decide(Self.config(allowRoot: true), euid: 0) == nil)
    }

    @Test func anUnprivilegedStartNeedsNothing() throws {
        #expect(try Self.decide(Self.config(), euid: 1000, egid: 1000) == nil)
    }

    @Test func rootSwitchesToTheUserAndItsPrimaryGroup() throws {
        #expect(
            try Self.decide(Self.config(user: "sotto"), euid: 0) == PrivilegeDrop(uid: 998, gid: 997, user: "sotto"))
        #expect(
            try Self.decide(Self.config(user: "sotto", group: "audio"), euid: 0)
                == PrivilegeDrop(uid: 998, gid: 29, user: "sotto"))
    }

    @Test func runAsRootNeedsAllowRoot() throws {
        #expect(Self.refusal(Self.config(user: "root"), euid: 0)?.reason.contains("\"root\" is root") == true)
        #expect(try Self.decide(Self.config(user: "root", allowRoot: true), euid: 0) != nil)
    }

    @Test func unknownAccountsAreRefusedByKey() {
        #expect(Self.refusal(Self.config(user: "nosuch"), euid: 0)?.key == "process.run_as_user")
        #expect(Self.refusal(Self.config(user: "sotto", group: "nosuch"), euid: 0)?.key == "process.run_as_group")
        // A bare uid with no entry has no primary group: the group must be named.
        #expect(Self.refusal(Self.config(user: "4242"), euid: 0)?.key == "process.run_as_group")
        #expect(try! Self.decide(Self.config(user: "4242", group: "audio"), euid: 0)?.gid == 29)
    }

    @Test func aSwitchThatNeedsRootIsRefusedWithoutIt() throws {
        let error = Self.refusal(Self.config(user: "sotto"), euid: 1000, egid: 1000)
        #expect(error?.key == "process.run_as_user")
        #expect(error?.reason.contains("not root") == true)
        // Already that account: nothing to switch.
        #expect(try Self.decide(Self.config(user: "sotto"), euid: 998, egid: 997) == nil)
    }
}
