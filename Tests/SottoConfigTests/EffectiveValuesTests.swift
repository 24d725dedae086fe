import Testing

@testable import SottoConfig

/// `SottoConfig.effectiveValues()`, the listing `sottoctl config` shows, walked from the key table.
@Suite struct EffectiveValuesTests {
    @Test func everyKeyInTheTableIsListed() throws {
        let directory = try directoryWithCertificates()
        for config in [SottoConfig.defaults, try load(document(), in: directory)] {
            let values = config.effectiveValues()
            for key in ConfigKey.all {
                #expect(values[key.section]?[key.name] != nil, "\(key.dotted) is missing from the listing")
            }
            #expect(values.values.map(\.count).reduce(0, +) == ConfigKey.all.count, "no key outside the table")
            #expect(Set(values.keys) == Set(ConfigKey.sections))
        }
    }

    /// The five keys the hand-written listing had lost, at the defaults `conf/sotto.toml` documents.
    @Test func theKeysOnceLeftOutShowTheirDefaults() {
        let values = SottoConfig.defaults.effectiveValues()
        #expect(values["sip"]?["handshake_timeout_ms"] == .integer(5000))
        #expect(values["sip"]?["idle_timeout_s"] == .integer(600))
        #expect(values["upstream"]?["reconnect_min_ms"] == .integer(500))
        #expect(values["upstream"]?["reconnect_max_ms"] == .integer(30000))
        #expect(values["upstream"]?["keepalive_s"] == .integer(30))
    }

    @Test func valuesHaveTheTypesTheFileTakes() throws {
        let directory = try directoryWithCertificates()
        let config = try load(
            document([
                "sip.handshake_timeout_ms": "1234", "upstream.keepalive_s": "7", "sip.require_client_cert": "true",
                "media.ports": "\"40000-40099\"", "media.suites": "[\"AEAD_AES_128_GCM\", \"AES_CM_128_HMAC_SHA1_80\"]",
                "upstream.trusted_addresses": "[\"10.0.0.1\", \"10.0.0.2\"]", "log.level": "\"debug\"",
            ]),
            in: directory)
        let values = config.effectiveValues()
        #expect(values["sip"]?["handshake_timeout_ms"] == .integer(1234))
        #expect(values["upstream"]?["keepalive_s"] == .integer(7))
        #expect(values["sip"]?["require_client_cert"] == .boolean(true))
        #expect(values["media"]?["ports"] == .string("40000-40099"))
        #expect(values["media"]?["suites"] == .strings(["AEAD_AES_128_GCM", "AES_CM_128_HMAC_SHA1_80"]))
        #expect(values["upstream"]?["trusted_addresses"] == .strings(["10.0.0.1", "10.0.0.2"]))
        #expect(values["log"]?["level"] == .string("debug"))
        #expect(values["upstream"]?["address"] == .string("pbx.example.com:5061"))
        // Paths, never contents: the key files hold "dummy" here, and the listing shows where they are.
        #expect(values["sip"]?["key"] == .string(directory.path + "/certs/server.key"))
        #expect(values["sip"]?["cert"] == .string(directory.path + "/certs/server.crt"))
        #expect(!values.values.contains { $0.values.contains { $0.text == "dummy\n" } })
    }

    /// An empty advertised address is listed as the one in use, as the relay always showed it.
    @Test func workedOutKeysShowTheValueInUse() {
        let values = SottoConfig.defaults.effectiveValues()
        #expect(values["sip"]?["advertised_host"] == .string("127.0.0.1"))
        #expect(values["media"]?["advertised_ip"] == .string("127.0.0.1"))
        #expect(values["upstream"]?["server_name"] == .string(""))
    }

    /// Each integer and boolean key shows what its setter stored, in the same unit (a key set in milliseconds
    /// and shown in seconds would fail here).
    @Test func integerAndBooleanKeysShowWhatWasStored() throws {
        let paths = PathResolver(directory: "/")
        for key in ConfigKey.all {
            var config = SottoConfig.defaults
            switch key.kind {
            case .integer:
                // 1024 is inside every integer key's range but these.
                let exceptions = [
                    "sip.ipv6_prefix_length": 100, "recording.chunk_s": 7, "recording.ring_bytes": 3 << 20,
                ]
                let value = exceptions[key.dotted] ?? 1024
                try key.store(&config, .integer(value), paths)
                #expect(key.show(config) == .integer(value), "\(key.dotted)")
            case .boolean:
                for flag in [true, false] {
                    try key.store(&config, .boolean(flag), paths)
                    #expect(key.show(config) == .boolean(flag), "\(key.dotted)")
                }
            case .string, .strings:
                continue
            }
        }
    }

    /// Each key is listed with the type the table gives it, so the admin socket's JSON carries numbers,
    /// booleans and lists as such (they were all strings).
    @Test func everyKeyIsListedWithItsKind() {
        let values = SottoConfig.defaults.effectiveValues()
        for key in ConfigKey.all {
            let kind: ConfigKey.Kind? =
                switch values[key.section]?[key.name] {
                case .string: .string
                case .integer: .integer
                case .boolean: .boolean
                case .strings: .strings
                case nil: nil
                }
            #expect(kind == key.kind, "\(key.dotted)")
        }
        #expect(values["calls"]?["max_calls"] == .integer(0))
        #expect(values["sip"]?["require_client_cert"]?.text == "false")
    }
}
