import Foundation
import Glibc
import SottoTestSupport
import Testing

/// `sottoctl config` against the real relay: with `--json` each value is JSON of its key's type (they were all
/// strings), while the table still spells values as the config file does.
@Suite struct AdminConfigTests {
    @Test func configJSONCarriesNumbersBooleansAndListsAsSuch() async throws {
        let setup = try await SottoSetup()
        // `admins` lands in [admin], the last section writeConfig writes: this test's uid gets the admin role.
        let config = try setup.writeConfig(
            extra: """
                admins = ["uid:\(getuid())"]
                [calls]
                max_calls = 7
                [process]
                allow_root = true

                """)
        let relay = try setup.start(["--config", config])
        try await relay.waitForOutput("sotto is running")
        let sottoctl = BuildProducts.path("sottoctl")
        let json = try await ChildProcess.run(sottoctl, ["--socket", setup.adminSocket, "config", "--json"])
        let table = try await ChildProcess.run(sottoctl, ["config", "--socket", setup.adminSocket])
        relay.signal(SIGTERM)
        #expect(try await relay.exitStatus() == 0)
        #expect(json.status == 0, "\(json.stderr)")
        #expect(table.status == 0, "\(table.stderr)")

        // An integer, a duration in its key's unit, a boolean, a list, and strings.
        #expect(json.stdout.contains("\"max_calls\" : 7,\n"), "\(json.stdout)")
        #expect(json.stdout.contains("\"idle_timeout_s\" : 600,\n"))
        #expect(json.stdout.contains("\"require_client_cert\" : false"))
        #expect(json.stdout.contains("\"admins\" : [\n      \"uid:\(getuid())\"\n    ]"))
        #expect(json.stdout.contains("\"listen\" : \"127.0.0.1:\(setup.sipPort)\""))
        #expect(json.stdout.contains("\"level\" : \"info\""))
        #expect(json.stdout.contains("\"ports\" : \"24000-24099\""))
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: [String: Any]]
        #expect(object?["admin"]?["admins"] as? [String] == ["uid:\(getuid())"])

        let lines = table.stdout.split(separator: "\n")
        for (key, value) in [("max_calls", "7"), ("require_client_cert", "false"), ("admins", "uid:\(getuid())")] {
            #expect(lines.contains { $0.hasPrefix(key + " ") && $0.hasSuffix(" = " + value) }, "\(key)")
        }
    }
}
