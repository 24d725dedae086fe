import Foundation
import SRTP
import SottoTestSupport
import Testing

@testable import SottoConfig

@Suite struct SottoConfigLoadTests {
    @Test func defaultsAreTheDocumentedValues() throws {
        let config = SottoConfig.defaults
        #expect(config.sip.listen == HostPort(host: "0.0.0.0", port: 5061))
        #expect(config.sip.advertisedHost == "")
        #expect(config.sip.cert == "" && config.sip.key == "" && config.sip.ca == "")
        #expect(config.sip.requireClientCert == false)
        #expect(config.sip.maxConnections == 10_000)
        #expect(config.sip.maxConnectionsPerAddress == 64)
        #expect(config.sip.handshakeTimeout == .milliseconds(5000))
        #expect(config.sip.idleTimeout == .seconds(600))
        #expect(config.sip.maxMessageBytes == 65_536)
        #expect(config.upstream.address == nil)
        #expect(config.upstream.serverName == "")
        #expect(config.upstream.clientCert == "" && config.upstream.clientKey == "")
        #expect(config.upstream.trustedAddresses == [])
        #expect(config.upstream.reconnectMin == .milliseconds(500))
        #expect(config.upstream.reconnectMax == .seconds(30))
        #expect(config.upstream.keepalive == .seconds(30))
        #expect(config.media.ip == "127.0.0.1")
        #expect(config.media.advertisedIP == "")
        #expect(config.media.ports == 30_000...39_999)
        #expect(config.media.loops == 0)
        #expect(config.media.idleTimeout == .seconds(60))
        #expect(config.media.suites == [.aeadAES256GCM, .aeadAES128GCM, .aes256CMHMACSHA1_80, .aesCM128HMACSHA1_80])
        #expect(config.calls.drain == .seconds(30))
        #expect(config.calls.maxCalls == 0)
        #expect(config.admin.socket == "/run/sotto/admin.sock")
        #expect(config.log.level == .info)
        #expect(config.file == nil)
    }

    @Test func anEmptyFileGivesTheDefaults() throws {
        let directory = try TemporaryDirectory("sotto-config")
        var config = try load("# nothing set\n", in: directory)
        #expect(config.file == directory.path + "/sotto.toml")
        config.file = nil
        #expect(config == SottoConfig.defaults)
    }

    @Test func theDefaultsAloneAreRefusedForWantOfACertificate() {
        let error = #expect(throws: ConfigError.self) { try SottoConfig.defaults.validated() }
        #expect(error?.file == "command line")
        #expect(error?.key == "sip.cert")
    }

    static let fullFile = """
        [sip]
        listen = "[::1]:5070"
        advertised_host = "sbc.example.com"
        cert = "certs/server.crt"
        key = "certs/server.key"
        ca = "CA_PATH"
        require_client_cert = true
        max_connections = 500
        max_connections_per_address = 8
        handshake_timeout_ms = 2500
        idle_timeout_s = 120
        max_message_bytes = 32768
        max_transactions = 1000
        max_transactions_per_connection = 10
        requests_per_second_per_connection = 5
        requests_per_second_per_address = 50
        max_registrations_per_connection = 2
        dialogs_bound_to_connection = false
        client_identity = "user"
        forward_softphone_identity = true
        max_handshakes = 40
        accepts_per_second_per_address = 5
        ipv6_prefix_length = 56
        max_keepalive_only_s = 3600

        [upstream]
        address = "sips:pbx.example.com:5071"
        server_name = "pbx.internal"
        client_cert = "certs/client.crt"
        client_key = "certs/client.key"
        trusted_addresses = ["192.0.2.10", "2001:db8::10"]
        reconnect_min_ms = 250
        reconnect_max_ms = 10000
        keepalive_s = 15
        max_pending_output_bytes = 1048576
        trusted_names = ["pbx.internal", "sip:pbx@example.com"]
        connect_wait_ms = 1500

        [media]
        ip = "0.0.0.0"
        advertised_ip = "198.51.100.7"
        ports = "40000-40999"
        loops = 4
        idle_timeout_s = 30
        suites = ["AES_CM_128_HMAC_SHA1_80", "AEAD_AES_128_GCM"]
        allowed_peer_networks = ["10.0.0.0/8", "2001:db8::/32"]
        hold_timeout_s = 3600
        early_buffer_packets = 4
        early_buffer_ms = 60
        unlatched_auth_budget = 20
        max_datagram_bytes = 1200
        poll_tick_us = 500
        poll_enter_wakeups_per_s = 4000
        poll_exit_pps = 1500

        [calls]
        drain_s = 5
        max_calls = 200
        max_ringing_s = 120
        max_streams_per_offer = 2
        max_calls_per_connection = 3
        max_calls_per_address = 30
        max_calls_per_aor = 2

        [admin]
        socket = "run/admin.sock"
        socket_group = "sotto-admin"
        audit_log = "log/audit.jsonl"
        viewers = ["group:supervisors", "uid:1001"]
        operators = ["user:lead"]
        admins = ["uid:0", "gid:0"]
        audit_max_bytes = 1048576
        max_connections = 32
        reserved_connections = 6
        max_connections_per_uid = 5
        snapshots_per_s = 4
        refusals_per_s = 3
        audit_refusals_per_min = 120
        auditors = ["user:officer1", "uid:1500"]

        [log]
        level = "debug"

        [process]
        run_as_user = "sotto"
        run_as_group = "sotto"
        allow_root = true

        [recording]
        enabled = true
        mode = "rules"
        directory = "rec"
        recipients = "certs/ca.crt"
        retention_days = 30
        required = true
        chunk_s = 4
        ring_bytes = 2097152
        rule = []
        """

    @Test func aFileWithEveryKey() throws {
        let directory = try directoryWithCertificates()
        let base = directory.path
        let text = Self.fullFile.replacingOccurrences(of: "CA_PATH", with: base + "/certs/ca.crt")
        // Mode "rules" needs a rule that records; the rule tables have their own tests (RecordingKeysTests).
        let config = try load(text, in: directory)
        var withRule = config
        withRule.recording.rules = [RecordingRule(caller: "*", record: true)]
        try withRule.validated()

        var expected = SottoConfig()
        expected.file = base + "/sotto.toml"
        expected.sip.listen = HostPort(host: "::1", port: 5070)
        expected.sip.advertisedHost = "sbc.example.com"
        expected.sip.cert = base + "/certs/server.crt"
        expected.sip.key = base + "/certs/server.key"
        expected.sip.ca = base + "/certs/ca.crt"
        expected.sip.requireClientCert = true
        expected.sip.maxConnections = 500
        expected.sip.maxConnectionsPerAddress = 8
        expected.sip.handshakeTimeout = .milliseconds(2500)
        expected.sip.idleTimeout = .seconds(120)
        expected.sip.maxMessageBytes = 32_768
        expected.sip.maxTransactions = 1000
        expected.sip.maxTransactionsPerConnection = 10
        expected.sip.requestsPerSecondPerConnection = 5
        expected.sip.requestsPerSecondPerAddress = 50
        expected.sip.maxRegistrationsPerConnection = 2
        expected.sip.dialogsBoundToConnection = false
        expected.sip.clientIdentity = "user"
        expected.sip.forwardSoftphoneIdentity = true
        expected.sip.maxHandshakes = 40
        expected.sip.acceptsPerSecondPerAddress = 5
        expected.sip.ipv6PrefixLength = 56
        expected.sip.maxKeepAliveOnly = .seconds(3600)
        expected.upstream.address = HostPort(host: "pbx.example.com", port: 5071)
        expected.upstream.serverName = "pbx.internal"
        expected.upstream.clientCert = base + "/certs/client.crt"
        expected.upstream.clientKey = base + "/certs/client.key"
        expected.upstream.trustedAddresses = ["192.0.2.10", "2001:db8::10"]
        expected.upstream.reconnectMin = .milliseconds(250)
        expected.upstream.reconnectMax = .seconds(10)
        expected.upstream.keepalive = .seconds(15)
        expected.upstream.maxPendingOutputBytes = 1_048_576
        expected.upstream.trustedNames = ["pbx.internal", "sip:pbx@example.com"]
        expected.upstream.connectWait = .milliseconds(1500)
        expected.media.ip = "0.0.0.0"
        expected.media.advertisedIP = "198.51.100.7"
        expected.media.ports = 40_000...40_999
        expected.media.loops = 4
        expected.media.idleTimeout = .seconds(30)
        expected.media.suites = [.aesCM128HMACSHA1_80, .aeadAES128GCM]
        expected.media.allowedPeerNetworks = ["10.0.0.0/8", "2001:db8::/32"]
        expected.media.holdTimeout = .seconds(3600)
        expected.media.earlyBufferPackets = 4
        expected.media.earlyBufferAge = .milliseconds(60)
        expected.media.unlatchedAuthBudget = 20
        expected.media.maxDatagramBytes = 1200
        expected.media.pollTickMicroseconds = 500
        expected.media.pollEnterWakeupsPerSecond = 4000
        expected.media.pollExitPacketsPerSecond = 1500
        expected.calls.drain = .seconds(5)
        expected.calls.maxCalls = 200
        expected.calls.maxRinging = .seconds(120)
        expected.calls.maxStreamsPerOffer = 2
        expected.calls.maxCallsPerConnection = 3
        expected.calls.maxCallsPerAddress = 30
        expected.calls.maxCallsPerAOR = 2
        expected.admin.socket = base + "/run/admin.sock"
        expected.admin.socketGroup = "sotto-admin"
        expected.admin.auditLog = base + "/log/audit.jsonl"
        expected.admin.viewers = ["group:supervisors", "uid:1001"]
        expected.admin.operators = ["user:lead"]
        expected.admin.admins = ["uid:0", "gid:0"]
        expected.admin.auditMaxBytes = 1 << 20
        expected.admin.maxConnections = 32
        expected.admin.reservedConnections = 6
        expected.admin.maxConnectionsPerUID = 5
        expected.admin.snapshotsPerSecond = 4
        expected.admin.refusalsPerSecond = 3
        expected.admin.auditRefusalsPerMinute = 120
        expected.admin.auditors = ["user:officer1", "uid:1500"]
        expected.log.level = .debug
        expected.process.runAsUser = "sotto"
        expected.process.runAsGroup = "sotto"
        expected.process.allowRoot = true
        expected.recording.enabled = true
        expected.recording.mode = .rules
        expected.recording.directory = base + "/rec"
        expected.recording.recipients = base + "/certs/ca.crt"
        expected.recording.retentionDays = 30
        expected.recording.required = true
        expected.recording.chunkInterval = .seconds(4)
        expected.recording.ringBytes = 2 << 20
        #expect(config == expected)

        #expect(config.sipAdvertisedHost == "sbc.example.com")
        #expect(config.upstream.tlsServerName == "pbx.internal")
        #expect(config.media.sdpIP == "198.51.100.7")
    }

    /// The fixture above must set every key there is, or a key could go untested.
    @Test func theFullFileNamesEveryKey() {
        var section = ""
        var named: Set<String> = []
        for line in Self.fullFile.split(separator: "\n") {
            if line.hasPrefix("[") {
                section = String(line.dropFirst().dropLast())
            } else if let equals = line.firstIndex(of: "=") {
                named.insert(section + "." + line[..<equals].trimmingCharacters(in: .whitespaces))
            }
        }
        #expect(named == Set(ConfigKey.all.map(\.dotted)))
    }

    @Test func derivedValuesFallBackAsDocumented() {
        var config = SottoConfig()
        config.upstream.address = HostPort(host: "pbx.example.com", port: 5061)
        config.media.ip = "10.0.0.5"
        #expect(config.upstream.tlsServerName == "pbx.example.com")
        #expect(config.media.sdpIP == "10.0.0.5")
        // A wildcard listen address falls back to the media address.
        #expect(config.sipAdvertisedHost == "10.0.0.5")
        config.sip.listen = HostPort(host: "192.0.2.1", port: 5061)
        #expect(config.sipAdvertisedHost == "192.0.2.1")
    }

    @Test func relativePathsAreTakenFromTheConfigFilesDirectory() throws {
        let directory = try TemporaryDirectory("sotto-config")
        try directory.write("certs/server.crt")
        try directory.write("certs/server.key")
        try directory.write("conf/ca.crt")
        let path = try directory.write(
            "conf/sotto.toml",
            """
            [sip]
            cert = "../certs/server.crt"
            key = "../certs/server.key"
            ca = "ca.crt"
            [admin]
            socket = "../run/admin.sock"
            """)
        let config = try SottoConfig.load(path: path)
        #expect(config.sip.cert == directory.path + "/conf/../certs/server.crt")
        #expect(config.sip.key == directory.path + "/conf/../certs/server.key")
        #expect(config.sip.ca == directory.path + "/conf/ca.crt")
        #expect(config.admin.socket == directory.path + "/conf/../run/admin.sock")
    }

    /// A config path given relative to the working directory still resolves against its own directory,
    /// and the result is absolute.
    @Test func aRelativeConfigPathGivesAbsolutePaths() throws {
        let directory = try directoryWithCertificates()
        try directory.write("sotto.toml", document())
        let cwd = FileManager.default.currentDirectoryPath
        let up = String(repeating: "../", count: cwd.split(separator: "/").count)
        let relative = up + directory.path.dropFirst() + "/sotto.toml"
        let config = try SottoConfig.load(path: relative)
        #expect(config.file == relative)
        #expect(config.sip.cert == cwd + "/" + up + directory.path.dropFirst() + "/certs/server.crt")
        #expect(config.sip.cert.hasPrefix("/"))
        try config.validated()
    }

    @Test func aMissingCertificateNamesTheKeyAndTheResolvedPath() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["sip.cert": "\"certs/missing.crt\""]), in: directory)
        #expect(error?.file == directory.path + "/sotto.toml")
        #expect(error?.key == "sip.cert")
        #expect(error?.reason.contains("\"\(directory.path)/certs/missing.crt\"") == true)
        #expect(error?.reason.contains("No such file or directory") == true)
    }

    @Test func aDirectoryIsNotACertificate() throws {
        let directory = try directoryWithCertificates()
        try directory.makeDirectory("bundle")
        let error = loadError(document(["sip.ca": "\"bundle\""]), in: directory)
        #expect(error?.key == "sip.ca")
        #expect(error?.reason.contains("not a regular file") == true)
    }

    @Test func aMissingConfigFileIsReported() throws {
        let directory = try TemporaryDirectory("sotto-config")
        let path = directory.path + "/nope.toml"
        let error = #expect(throws: ConfigError.self) { try SottoConfig.load(path: path) }
        #expect(error?.file == path)
        #expect(error?.key == nil)
        #expect(error?.reason == "cannot read the config file: No such file or directory")
        #expect(error?.description == "\(path): cannot read the config file: No such file or directory")
    }

    @Test func aConfigFileThatIsNotUTF8IsReported() throws {
        let directory = try TemporaryDirectory("sotto-config")
        let path = directory.path + "/binary.toml"
        try Data([0x5B, 0x73, 0xFF, 0xFE, 0x5D]).write(to: URL(fileURLWithPath: path))
        let error = #expect(throws: ConfigError.self) { try SottoConfig.load(path: path) }
        #expect(error?.reason == "the config file is not UTF-8 text")
    }

    @Test func aTOMLSyntaxErrorGivesTheLine() throws {
        let directory = try TemporaryDirectory("sotto-config")
        let text = "[sip]\nlisten = \"127.0.0.1:5061\"\nmax_connections = = 3\n"
        let path = directory.path + "/sotto.toml"
        let error = loadError(text, in: directory)
        #expect(error?.file == path)
        #expect(error?.key == nil)
        #expect(error?.line == 3)
        #expect(error?.column != nil)
        #expect(error?.reason.hasPrefix("TOML syntax error: ") == true)
        #expect(error?.description.hasPrefix("\(path):3:") == true)
    }
}
