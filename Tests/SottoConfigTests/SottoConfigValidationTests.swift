import Testing

@testable import SottoConfig

/// One refused value: the keys changed from the minimal valid document, the key the error must name
/// and a part of the reason it must give.
struct RefusedValue: Sendable, CustomTestStringConvertible {
    let changes: [String: String?]
    let key: String
    let reason: String

    init(_ changes: [String: String?], _ key: String, _ reason: String) {
        self.changes = changes
        self.key = key
        self.reason = reason
    }

    var testDescription: String { "\(changes) -> \(key)" }
}

@Suite struct SottoConfigValidationTests {
    /// Values each key refuses on its own, while the file is read.
    static let perKey: [RefusedValue] = [
        .init(["process.run_as_user": "\"so tto\""], "process.run_as_user", "is not a user or group name"),
        .init(["process.run_as_group": "\"a/b\""], "process.run_as_group", "is not a user or group name"),
        .init(["process.allow_root": "\"yes\""], "process.allow_root", "expected a boolean"),
        .init(["sip.listen": "\"0.0.0.0\""], "sip.listen", "has no port"),
        .init(["sip.listen": "\"localhost:5061\""], "sip.listen", "\"localhost\" is not an IP address"),
        .init(["sip.listen": "\"0.0.0.0:0\""], "sip.listen", "\"0\" is not a port 1-65535"),
        .init(["sip.listen": "\"0.0.0.0:65536\""], "sip.listen", "\"65536\" is not a port 1-65535"),
        .init(["sip.listen": "\"::1:5061\""], "sip.listen", "write an IPv6 address in brackets"),
        .init(["sip.listen": "\"[::1:5061\""], "sip.listen", "has no \"]\""),
        .init(["sip.listen": "\"[127.0.0.1]:5061\""], "sip.listen", "is not an IPv6 address"),
        .init(["sip.advertised_host": "\"0.0.0.0\""], "sip.advertised_host", "the any-address"),
        .init(["sip.advertised_host": "\"bad host\""], "sip.advertised_host", "is neither a host name nor an IP"),
        .init(["sip.max_connections": "0"], "sip.max_connections", "0 is out of range; it must be 1-1000000"),
        .init(["sip.max_connections_per_address": "0"], "sip.max_connections_per_address", "out of range"),
        .init(["sip.handshake_timeout_ms": "0"], "sip.handshake_timeout_ms", "out of range; it must be 1-"),
        .init(["sip.idle_timeout_s": "-5"], "sip.idle_timeout_s", "-5 is out of range"),
        .init(["sip.max_message_bytes": "100"], "sip.max_message_bytes", "must be 1024-16777216"),
        .init(["upstream.server_name": "\"pbx_1.example\""], "upstream.server_name", "is neither a host name"),
        .init(
            ["upstream.trusted_addresses": "[\"10.0.0.1\", \"pbx\"]"], "upstream.trusted_addresses",
            "item 2: \"pbx\" is not an IP address"),
        .init(["upstream.trusted_addresses": "[\"0.0.0.0\"]"], "upstream.trusted_addresses", "item 1:"),
        .init(["upstream.reconnect_min_ms": "0"], "upstream.reconnect_min_ms", "out of range"),
        .init(["upstream.reconnect_max_ms": "0"], "upstream.reconnect_max_ms", "out of range"),
        .init(["upstream.keepalive_s": "0"], "upstream.keepalive_s", "out of range"),
        .init(["media.poll_tick_us": "50"], "media.poll_tick_us", "50 is out of range; it must be 100-20000"),
        .init(["sip.max_handshakes": "0"], "sip.max_handshakes", "out of range"),
        .init(["sip.accepts_per_second_per_address": "0"], "sip.accepts_per_second_per_address", "out of range"),
        .init(["sip.ipv6_prefix_length": "129"], "sip.ipv6_prefix_length", "must be 1-128"),
        .init(["sip.max_keepalive_only_s": "0"], "sip.max_keepalive_only_s", "out of range"),
        .init(["upstream.max_pending_output_bytes": "100"], "upstream.max_pending_output_bytes", "out of range"),
        .init(["upstream.trusted_names": "[\"pbx.test\", \"\"]"], "upstream.trusted_names", "item 2:"),
        .init(["upstream.connect_wait_ms": "-1"], "upstream.connect_wait_ms", "out of range"),
        .init(["media.ip": "\"localhost\""], "media.ip", "\"localhost\" is not an IP address"),
        .init(["media.advertised_ip": "\"0.0.0.0\""], "media.advertised_ip", "the any-address"),
        .init(["media.advertised_ip": "\"::\""], "media.advertised_ip", "the any-address"),
        .init(
            ["media.ports": "\"30000-2\""], "media.ports",
            "\"30000-2\" is not a port range LOW-HIGH with LOW <= HIGH"),
        .init(["media.ports": "\"30000\""], "media.ports", "is not a port range LOW-HIGH"),
        .init(["media.ports": "\"30000-+39999\""], "media.ports", "is not a port range LOW-HIGH"),
        .init(["media.ports": "\"80-1000\""], "media.ports", "is outside 1024-65535"),
        .init(["media.ports": "\"60000-70000\""], "media.ports", "is outside 1024-65535"),
        .init(["media.ports": "\"30001-39999\""], "media.ports", "LOW must be even"),
        .init(["media.ports": "\"30000-30002\""], "media.ports", "holds 3 ports; a call needs 4"),
        .init(["media.loops": "-1"], "media.loops", "out of range; it must be 0-1024"),
        .init(["media.idle_timeout_s": "0"], "media.idle_timeout_s", "out of range"),
        .init(["media.suites": "[]"], "media.suites", "the list is empty"),
        .init(["media.suites": "[\"NULL\"]"], "media.suites", "\"NULL\" is not an SRTP suite Sotto knows"),
        .init(
            ["media.suites": "[\"AEAD_AES_128_GCM\", \"AEAD_AES_128_GCM\"]"], "media.suites",
            "\"AEAD_AES_128_GCM\" is listed twice"),
        .init(["calls.drain_s": "-1"], "calls.drain_s", "out of range; it must be 0-86400"),
        .init(["calls.max_calls": "-1"], "calls.max_calls", "out of range"),
        .init(["admin.socket": "\"\""], "admin.socket", "the path is empty"),
        .init(["admin.socket": "\"run/\""], "admin.socket", "names a directory"),
        .init(
            ["admin.socket": "\"/\(String(repeating: "x", count: 120))\""], "admin.socket",
            "a Unix socket path holds at most 107"),
        .init(["log.level": "\"verbose\""], "log.level", "\"verbose\" is not a log level (trace, debug, info"),
        .init(["log.level": "\"INFO\""], "log.level", "is not a log level"),
        .init(["upstream.client_cert": "\"certs/nope.crt\""], "upstream.client_cert", "cannot read"),
        .init(["upstream.client_key": "\"/nonexistent/client.key\""], "upstream.client_key", "cannot read"),
    ]

    @Test(arguments: perKey)
    func eachKeyRefusesBadValues(_ refused: RefusedValue) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(refused.changes), in: directory)
        #expect(error?.file == directory.path + "/sotto.toml")
        #expect(error?.key == refused.key)
        #expect(error?.reason.contains(refused.reason) == true, "reason: \(error?.reason ?? "none")")
    }

    /// What only the whole config can refuse, in ``SottoConfig/validated()``.
    static let whole: [RefusedValue] = [
        .init(["process.run_as_group": "\"sotto\""], "process.run_as_group", "process.run_as_user is not"),
        .init(["sip.cert": nil], "sip.cert", "sip.cert is required (set it in the config file or pass --cert)"),
        .init(["sip.key": "\"\""], "sip.key", "sip.key is required (set it in the config file or pass --key)"),
        .init(["sip.ca": nil], "sip.ca", "sip.ca is required (set it in the config file or pass --ca)"),
        .init(
            ["upstream.address": nil], "upstream.address",
            "upstream.address is required (set it in the config file or pass --upstream)"),
        .init(
            ["upstream.client_cert": "\"certs/client.crt\""], "upstream.client_key",
            "upstream.client_cert is set but upstream.client_key is not"),
        .init(
            ["upstream.client_key": "\"certs/client.key\""], "upstream.client_cert",
            "upstream.client_key is set but upstream.client_cert is not"),
        .init(
            ["upstream.reconnect_min_ms": "5000", "upstream.reconnect_max_ms": "1000"], "upstream.reconnect_min_ms",
            "is longer than upstream.reconnect_max_ms"),
        .init(
            ["upstream.keepalive_s": "60", "sip.idle_timeout_s": "60"], "upstream.keepalive_s",
            "is not shorter than sip.idle_timeout_s"),
        .init(
            ["sip.max_connections": "10", "sip.max_connections_per_address": "11"],
            "sip.max_connections_per_address", "11 is more than sip.max_connections (10)"),
        .init(
            ["sip.client_identity": "\"uri\""], "sip.client_identity", "needs sip.require_client_cert = true"),
        .init(["media.ip": "\"0.0.0.0\""], "media.advertised_ip", "media.ip is the any-address (0.0.0.0)"),
        .init(["media.ip": "\"::\""], "media.advertised_ip", "media.ip is the any-address (::)"),
        .init(
            ["admin.max_connections": "4", "admin.reserved_connections": "4"], "admin.reserved_connections",
            "4 is not less than admin.max_connections (4)"),
        .init(
            ["media.advertised_ip": "\"2001:db8::1\""], "media.advertised_ip",
            "is not the same IP version as media.ip (127.0.0.1)"),
        .init(
            ["media.ip": "\"0.0.0.0\"", "media.advertised_ip": "\"2001:db8::1\""], "media.advertised_ip",
            "is not the same IP version"),
        .init(
            ["media.poll_enter_wakeups_per_s": "1000", "media.poll_exit_pps": "1000"], "media.poll_exit_pps",
            "1000 is not less than media.poll_enter_wakeups_per_s (1000)"),
    ]

    @Test(arguments: whole)
    func theWholeConfigIsChecked(_ refused: RefusedValue) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(refused.changes), in: directory)
        #expect(error?.file == directory.path + "/sotto.toml")
        #expect(error?.key == refused.key)
        #expect(error?.reason.contains(refused.reason) == true, "reason: \(error?.reason ?? "none")")
    }

    /// The counterparts of the refusals above that are fine, so the checks are not simply refusing
    /// everything near them.
    static let nearTheLimits: [[String: String?]] = [
        ["media.ip": "\"::\"", "media.advertised_ip": "\"192.0.2.7\""],
        ["media.ip": "\"0.0.0.0\"", "media.advertised_ip": "\"192.0.2.7\""],
        ["media.ip": "\"[2001:db8::5]\""],
        ["media.ports": "\"1024-1027\""],
        ["media.ports": "\"65530-65535\""],
        ["upstream.client_cert": "\"certs/client.crt\"", "upstream.client_key": "\"certs/client.key\""],
        ["upstream.reconnect_min_ms": "1000", "upstream.reconnect_max_ms": "1000"],
        ["media.poll_enter_wakeups_per_s": "1000", "media.poll_exit_pps": "999"],
        ["media.poll_enter_wakeups_per_s": "0", "media.poll_exit_pps": "5000"],
        ["upstream.keepalive_s": "59", "sip.idle_timeout_s": "60"],
        ["sip.max_connections": "10", "sip.max_connections_per_address": "10"],
        ["sip.client_identity": "\"user\"", "sip.require_client_cert": "true"],
        ["calls.drain_s": "0", "media.loops": "0", "calls.max_calls": "0"],
        ["sip.advertised_host": "\"[2001:db8::9]\"", "upstream.trusted_addresses": "[\"::1\", \"10.1.2.3\"]"],
        ["sip.listen": "\"[::]:5061\"", "media.suites": "[\"AES_256_CM_HMAC_SHA1_32\"]"],
    ]

    @Test(arguments: nearTheLimits)
    func valuesNearTheLimitsAreAccepted(_ changes: [String: String?]) throws {
        let directory = try directoryWithCertificates()
        let config = try load(document(changes), in: directory)
        try config.validated()
    }

    @Test func anIPv6AdvertisedHostIsKeptWithoutBrackets() throws {
        let directory = try directoryWithCertificates()
        let config = try load(document(["sip.advertised_host": "\"[2001:db8::9]\""]), in: directory)
        #expect(config.sip.advertisedHost == "2001:db8::9")
        #expect(config.sipAdvertisedHost == "2001:db8::9")
    }

    @Test func theDescriptionNamesFileKeyAndReason() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["media.ports": "\"30000-2\""]), in: directory)
        #expect(
            error?.description
                == "\(directory.path)/sotto.toml: media.ports: \"30000-2\" is not a port range LOW-HIGH with LOW <= HIGH"
        )
    }
}
