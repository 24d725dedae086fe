extension ConfigKey {
    /// Every key of the config file, section by section in the order `conf/sotto.toml` and
    /// docs/config.md list them. Ranges keep durations within what `Duration` and the timers hold.
    ///
    /// Each key is shown as the file takes it, except three shown as the value in use: `sip.advertised_host`,
    /// `upstream.server_name` and `media.advertised_ip`, which are worked out from other keys when empty.
    static let all: [ConfigKey] = [
        .string("sip", "listen") { (config, text, _) throws(InvalidValue) in
            config.sip.listen = try HostPort.parseListen(text)
        } show: {
            $0.sip.listen.description
        },
        .string("sip", "advertised_host") { (config, text, _) throws(InvalidValue) in
            config.sip.advertisedHost = try ValueParsers.hostOrIP(text)
        } show: {
            $0.sipAdvertisedHost
        },
        .string("sip", "cert") { (config, text, paths) throws(InvalidValue) in
            config.sip.cert = try ValueParsers.file(text, paths)
        } show: {
            $0.sip.cert
        },
        .string("sip", "key") { (config, text, paths) throws(InvalidValue) in
            config.sip.key = try ValueParsers.file(text, paths)
        } show: {
            $0.sip.key
        },
        .string("sip", "ca") { (config, text, paths) throws(InvalidValue) in
            config.sip.ca = try ValueParsers.file(text, paths)
        } show: {
            $0.sip.ca
        },
        .boolean("sip", "require_client_cert", \.sip.requireClientCert),
        .integer("sip", "max_connections", in: 1...1_000_000, \.sip.maxConnections),
        .integer("sip", "max_connections_per_address", in: 1...1_000_000, \.sip.maxConnectionsPerAddress),
        .duration("sip", "handshake_timeout_ms", in: 1...600_000, .milliseconds, \.sip.handshakeTimeout),
        .duration("sip", "idle_timeout_s", in: 1...86_400, .seconds, \.sip.idleTimeout),
        .integer("sip", "max_message_bytes", in: 1024...16_777_216, \.sip.maxMessageBytes),
        .integer("sip", "max_transactions", in: 0...10_000_000, \.sip.maxTransactions),
        .integer("sip", "max_transactions_per_connection", in: 0...1_000_000, \.sip.maxTransactionsPerConnection),
        .integer("sip", "requests_per_second_per_connection", in: 0...1_000_000, \.sip.requestsPerSecondPerConnection),
        .integer("sip", "requests_per_second_per_address", in: 0...1_000_000, \.sip.requestsPerSecondPerAddress),
        .integer("sip", "max_registrations_per_connection", in: 0...10_000, \.sip.maxRegistrationsPerConnection),
        .boolean("sip", "dialogs_bound_to_connection", \.sip.dialogsBoundToConnection),
        .string("sip", "client_identity") { (config, text, _) throws(InvalidValue) in
            guard ["none", "uri", "user"].contains(text) else {
                throw InvalidValue("\"\(text)\" is not a binding (none, uri, user)")
            }
            config.sip.clientIdentity = text
        } show: {
            $0.sip.clientIdentity
        },
        .boolean("sip", "forward_softphone_identity", \.sip.forwardSoftphoneIdentity),
        .integer("sip", "max_handshakes", in: 1...1_000_000, \.sip.maxHandshakes),
        .integer("sip", "accepts_per_second_per_address", in: 1...1_000_000, \.sip.acceptsPerSecondPerAddress),
        .integer("sip", "ipv6_prefix_length", in: 1...128, \.sip.ipv6PrefixLength),
        .duration("sip", "max_keepalive_only_s", in: 1...604_800, .seconds, \.sip.maxKeepAliveOnly),

        .string("upstream", "address") { (config, text, _) throws(InvalidValue) in
            config.upstream.address = text.isEmpty ? nil : try HostPort.parseUpstream(text)
        } show: {
            $0.upstream.address?.description ?? ""
        },
        .string("upstream", "server_name") { (config, text, _) throws(InvalidValue) in
            config.upstream.serverName = try ValueParsers.hostOrIP(text)
        } show: {
            $0.upstream.tlsServerName ?? ""
        },
        .string("upstream", "client_cert") { (config, text, paths) throws(InvalidValue) in
            config.upstream.clientCert = try ValueParsers.file(text, paths)
        } show: {
            $0.upstream.clientCert
        },
        .string("upstream", "client_key") { (config, text, paths) throws(InvalidValue) in
            config.upstream.clientKey = try ValueParsers.file(text, paths)
        } show: {
            $0.upstream.clientKey
        },
        .strings("upstream", "trusted_addresses") { (config, items) throws(InvalidValue) in
            var addresses: [String] = []
            for (index, item) in items.enumerated() {
                do throws(InvalidValue) {
                    addresses.append(try ValueParsers.ip(item, wildcard: false))
                } catch {
                    throw InvalidValue("item \(index + 1): \(error.reason)")
                }
            }
            config.upstream.trustedAddresses = addresses
        } show: {
            $0.upstream.trustedAddresses
        },
        .duration("upstream", "reconnect_min_ms", in: 1...3_600_000, .milliseconds, \.upstream.reconnectMin),
        .duration("upstream", "reconnect_max_ms", in: 1...3_600_000, .milliseconds, \.upstream.reconnectMax),
        .duration("upstream", "keepalive_s", in: 1...3600, .seconds, \.upstream.keepalive),
        .integer(
            "upstream", "max_pending_output_bytes", in: 1024...1_073_741_824, \.upstream.maxPendingOutputBytes),
        .strings("upstream", "trusted_names") { (config, items) throws(InvalidValue) in
            for (index, item) in items.enumerated()
            where item.isEmpty || item.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 32 }) {
                throw InvalidValue("item \(index + 1): a certificate name is not empty and has no spaces or controls")
            }
            config.upstream.trustedNames = items
        } show: {
            $0.upstream.effectiveTrustedNames
        },
        .duration("upstream", "connect_wait_ms", in: 0...60_000, .milliseconds, \.upstream.connectWait),

        .string("media", "ip") { (config, text, _) throws(InvalidValue) in
            config.media.ip = try ValueParsers.ip(text, wildcard: true)
        } show: {
            $0.media.ip
        },
        .string("media", "advertised_ip") { (config, text, _) throws(InvalidValue) in
            config.media.advertisedIP = text.isEmpty ? "" : try ValueParsers.ip(text, wildcard: false)
        } show: {
            $0.media.sdpIP
        },
        .string("media", "ports") { (config, text, _) throws(InvalidValue) in
            config.media.ports = try ValueParsers.portRange(text)
        } show: {
            "\($0.media.ports.lowerBound)-\($0.media.ports.upperBound)"
        },
        .integer("media", "loops", in: 0...1024, \.media.loops),
        .duration("media", "idle_timeout_s", in: 1...86_400, .seconds, \.media.idleTimeout),
        .strings("media", "suites") { (config, items) throws(InvalidValue) in
            config.media.suites = try ValueParsers.suites(items)
        } show: {
            $0.media.suites.map(\.rawValue)
        },
        .strings("media", "allowed_peer_networks") { (config, items) throws(InvalidValue) in
            config.media.allowedPeerNetworks = try ValueParsers.networks(items)
        } show: {
            $0.media.allowedPeerNetworks
        },
        .duration("media", "hold_timeout_s", in: 1...604_800, .seconds, \.media.holdTimeout),
        .integer("media", "early_buffer_packets", in: 0...1024, \.media.earlyBufferPackets),
        .duration("media", "early_buffer_ms", in: 1...2000, .milliseconds, \.media.earlyBufferAge),
        .integer("media", "unlatched_auth_budget", in: 0...100_000, \.media.unlatchedAuthBudget),
        .integer("media", "max_datagram_bytes", in: 512...9216, \.media.maxDatagramBytes),
        .integer("media", "poll_tick_us", in: 100...20_000, \.media.pollTickMicroseconds),
        .integer("media", "poll_enter_wakeups_per_s", in: 0...10_000_000, \.media.pollEnterWakeupsPerSecond),
        .integer("media", "poll_exit_pps", in: 0...10_000_000, \.media.pollExitPacketsPerSecond),

        .duration("calls", "drain_s", in: 0...86_400, .seconds, \.calls.drain),
        .integer("calls", "max_calls", in: 0...10_000_000, \.calls.maxCalls),
        .duration("calls", "max_ringing_s", in: 1...86_400, .seconds, \.calls.maxRinging),
        .integer("calls", "max_streams_per_offer", in: 1...1024, \.calls.maxStreamsPerOffer),
        .integer("calls", "max_calls_per_connection", in: 0...10_000_000, \.calls.maxCallsPerConnection),
        .integer("calls", "max_calls_per_address", in: 0...10_000_000, \.calls.maxCallsPerAddress),
        .integer("calls", "max_calls_per_aor", in: 0...10_000_000, \.calls.maxCallsPerAOR),

        .string("admin", "socket") { (config, text, paths) throws(InvalidValue) in
            config.admin.socket = try ValueParsers.socketPath(text, paths)
        } show: {
            $0.admin.socket
        },
        .string("admin", "socket_group") { (config, text, _) throws(InvalidValue) in
            config.admin.socketGroup = try ValueParsers.groupName(text)
        } show: {
            $0.admin.socketGroup
        },
        .string("admin", "audit_log") { (config, text, paths) throws(InvalidValue) in
            config.admin.auditLog = try ValueParsers.newFile(text, paths)
        } show: {
            $0.admin.auditLog
        },
        .strings("admin", "viewers") { (config, items) throws(InvalidValue) in
            config.admin.viewers = try ValueParsers.principals(items)
        } show: {
            $0.admin.viewers
        },
        .strings("admin", "operators") { (config, items) throws(InvalidValue) in
            config.admin.operators = try ValueParsers.principals(items)
        } show: {
            $0.admin.operators
        },
        .strings("admin", "admins") { (config, items) throws(InvalidValue) in
            config.admin.admins = try ValueParsers.principals(items)
        } show: {
            $0.admin.admins
        },
        .integer("admin", "audit_max_bytes", in: 0...(1 << 40), \.admin.auditMaxBytes),
        .integer("admin", "max_connections", in: 1...65536, \.admin.maxConnections),
        .integer("admin", "reserved_connections", in: 0...65535, \.admin.reservedConnections),
        .integer("admin", "max_connections_per_uid", in: 1...65536, \.admin.maxConnectionsPerUID),
        .integer("admin", "snapshots_per_s", in: 1...10000, \.admin.snapshotsPerSecond),
        .integer("admin", "refusals_per_s", in: 1...10000, \.admin.refusalsPerSecond),
        .integer("admin", "audit_refusals_per_min", in: 1...100_000, \.admin.auditRefusalsPerMinute),
        .strings("admin", "auditors") { (config, items) throws(InvalidValue) in
            config.admin.auditors = try ValueParsers.principals(items)
        } show: {
            $0.admin.auditors
        },

        .string("log", "level") { (config, text, _) throws(InvalidValue) in
            config.log.level = try ValueParsers.logLevel(text)
        } show: {
            $0.log.level.rawValue
        },

        .string("process", "run_as_user") { (config, text, _) throws(InvalidValue) in
            config.process.runAsUser = try ValueParsers.accountName(text)
        } show: {
            $0.process.runAsUser
        },
        .string("process", "run_as_group") { (config, text, _) throws(InvalidValue) in
            config.process.runAsGroup = try ValueParsers.accountName(text)
        } show: {
            $0.process.runAsGroup
        },
        .boolean("process", "allow_root", \.process.allowRoot),

        .boolean("recording", "enabled", \.recording.enabled),
        .string("recording", "mode") { (config, text, _) throws(InvalidValue) in
            guard let mode = SottoConfig.RecordingSettings.Mode(rawValue: text) else {
                throw InvalidValue("\"\(text)\" is not a recording mode (all, rules)")
            }
            config.recording.mode = mode
        } show: {
            $0.recording.mode.rawValue
        },
        .string("recording", "directory") { (config, text, paths) throws(InvalidValue) in
            guard !text.isEmpty else { throw InvalidValue("the path is empty") }
            guard !text.contains("\0") else { throw InvalidValue("the path contains a NUL character") }
            var trimmed = Substring(text)
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed = trimmed.dropLast() }
            config.recording.directory = paths.resolve(String(trimmed))
        } show: {
            $0.recording.directory
        },
        .string("recording", "recipients") { (config, text, paths) throws(InvalidValue) in
            config.recording.recipients = try ValueParsers.file(text, paths)
        } show: {
            $0.recording.recipients
        },
        .integer("recording", "retention_days", in: 1...3650, \.recording.retentionDays),
        .boolean("recording", "required", \.recording.required),
        .duration("recording", "chunk_s", in: 1...30, .seconds, \.recording.chunkInterval),
        .integer("recording", "ring_bytes", in: (1 << 20)...(256 << 20), \.recording.ringBytes),
        // Read from [[recording.rule]] tables by the file reader (SottoConfig+RecordingRules.swift); listed here so
        // the effective-config listing shows the rules, one line each. Only an empty list can come this way.
        .strings("recording", "rule") { (config, items) throws(InvalidValue) in
            guard items.isEmpty else { throw InvalidValue("rules are [[recording.rule]] tables in the config file") }
            config.recording.rules = []
        } show: {
            $0.recording.rules.map(\.summary)
        },
    ]
}
