import Testing

@testable import SottoConfig

@Suite struct ConfigOverridesTests {
    @Test func everyFlagOverridesItsKey() throws {
        let fileDirectory = try directoryWithCertificates()
        let cwd = try directoryWithCertificates()
        let loaded = try load(document(), in: fileDirectory)
        let overrides = ConfigOverrides(
            listen: "[::]:5071", upstream: "sip:pbx2.example.com:5080;transport=tls", cert: "certs/client.crt",
            key: "certs/client.key", ca: cwd.path + "/certs/server.crt", mediaIP: "192.0.2.9",
            mediaPorts: "20000-20999", adminSocket: "admin.sock", auditLog: "audit/admin.jsonl", logLevel: "warning",
            runAsUser: "sotto",
            runAsGroup: "audio", allowRoot: true)
        let config = try loaded.applying(overrides, cwd: cwd.path)
        try config.validated()

        #expect(config.sip.listen == HostPort(host: "::", port: 5071))
        #expect(config.upstream.address == HostPort(host: "pbx2.example.com", port: 5080))
        // Relative paths from flags are taken from the working directory, not the file's directory.
        #expect(config.sip.cert == cwd.path + "/certs/client.crt")
        #expect(config.sip.key == cwd.path + "/certs/client.key")
        #expect(config.sip.ca == cwd.path + "/certs/server.crt")
        #expect(config.media.ip == "192.0.2.9")
        #expect(config.media.ports == 20_000...20_999)
        #expect(config.admin.socket == cwd.path + "/admin.sock")
        #expect(config.admin.auditLog == cwd.path + "/audit/admin.jsonl")
        #expect(config.log.level == .warning)
        #expect(config.process.runAsUser == "sotto")
        #expect(config.process.runAsGroup == "audio")
        #expect(config.process.allowRoot)
        // Keys without a flag are left as the file set them.
        #expect(config.file == loaded.file)
        #expect(config.media.suites == loaded.media.suites)
        #expect(config.sip.maxConnections == loaded.sip.maxConnections)
    }

    @Test func noOverridesChangeNothing() throws {
        let directory = try directoryWithCertificates()
        let loaded = try load(document(), in: directory)
        #expect(try loaded.applying(ConfigOverrides(), cwd: "/") == loaded)
    }

    @Test(arguments: [
        (ConfigOverrides(listen: "localhost:5061"), "--listen", "\"localhost\" is not an IP address"),
        (ConfigOverrides(upstream: "udp:pbx.example.com"), "--upstream", "Sotto only connects to the PBX over TLS"),
        (ConfigOverrides(upstream: "sip:pbx.example.com"), "--upstream", "is a plain sip: URI"),
        (ConfigOverrides(cert: "missing.crt"), "--cert", "/missing.crt\" (from \"missing.crt\")"),
        (ConfigOverrides(key: "missing.key"), "--key", "No such file or directory"),
        (ConfigOverrides(ca: "missing.pem"), "--ca", "cannot read"),
        (ConfigOverrides(mediaIP: "media.example.com"), "--media-ip", "is not an IP address"),
        (ConfigOverrides(mediaPorts: "30000-2"), "--media-ports", "is not a port range LOW-HIGH with LOW <= HIGH"),
        (ConfigOverrides(runAsUser: "a b"), "--run-as-user", "is not a user or group name or number"),
        (ConfigOverrides(adminSocket: ""), "--admin-socket", "the path is empty"),
        (ConfigOverrides(logLevel: "loud"), "--log-level", "\"loud\" is not a log level"),
    ])
    func aBadFlagIsNamed(overrides: ConfigOverrides, flag: String, reason: String) throws {
        let directory = try directoryWithCertificates()
        let loaded = try load(document(), in: directory)
        let error = #expect(throws: ConfigError.self) { try loaded.applying(overrides, cwd: directory.path) }
        #expect(error?.file == "command line")
        #expect(error?.key == flag)
        #expect(error?.reason.contains(reason) == true, "reason: \(error?.reason ?? "none")")
        #expect(error?.description.hasPrefix("command line: \(flag): ") == true)
    }

    @Test func flagsAloneAreEnoughWithoutAConfigFile() throws {
        let cwd = try directoryWithCertificates()
        let overrides = ConfigOverrides(
            upstream: "pbx.example.com", cert: "certs/server.crt", key: "certs/server.key", ca: "certs/ca.crt")
        let config = try SottoConfig.resolve(configFile: nil, overrides: overrides, cwd: cwd.path)
        #expect(config.file == nil)
        #expect(config.sip.cert == cwd.path + "/certs/server.crt")
        #expect(config.upstream.address == HostPort(host: "pbx.example.com", port: 5061))
        #expect(config.sip.listen == SottoConfig.defaults.sip.listen)
    }

    @Test func aRequiredKeyMissingFromFlagsSaysWhichFlagSetsIt() throws {
        let cwd = try directoryWithCertificates()
        let overrides = ConfigOverrides(upstream: "pbx.example.com", cert: "certs/server.crt", key: "certs/server.key")
        let error = #expect(throws: ConfigError.self) {
            try SottoConfig.resolve(configFile: nil, overrides: overrides, cwd: cwd.path)
        }
        #expect(error?.file == "command line")
        #expect(error?.key == "sip.ca")
        #expect(
            error?.description == "command line: sip.ca: sip.ca is required (set it in the config file or pass --ca)")
    }

    @Test func resolveLoadsAppliesAndValidates() throws {
        let directory = try directoryWithCertificates()
        let path = try directory.write("sotto.toml", document(["upstream.address": nil]))
        // Without --upstream the file alone is incomplete ...
        let error = #expect(throws: ConfigError.self) {
            try SottoConfig.resolve(configFile: path, overrides: ConfigOverrides(), cwd: "/")
        }
        #expect(error?.file == path)
        #expect(error?.key == "upstream.address")
        // ... and the flag completes it.
        let config = try SottoConfig.resolve(
            configFile: path, overrides: ConfigOverrides(upstream: "sips:pbx.example.com"), cwd: "/")
        #expect(config.upstream.address == HostPort(host: "pbx.example.com", port: 5061))
        #expect(config.file == path)
    }
}
