extension ConfigKey {
    /// Every key of the config file, section by section in the order `conf/sotto.toml` and
    /// docs/config.md list them. Ranges keep durations within what `Duration` and the timers hold.
    static let all: [ConfigKey] = [
        .string("sip", "listen") { (config, text, _) throws(InvalidValue) in
            config.sip.listen = try HostPort.parseListen(text)
        },
        .string("sip", "advertised_host") { (config, text, _) throws(InvalidValue) in
            config.sip.advertisedHost = try ValueParsers.hostOrIP(text)
        },
        .string("sip", "cert") { (config, text, paths) throws(InvalidValue) in
            config.sip.cert = try ValueParsers.file(text, paths)
        },
        .string("sip", "key") { (config, text, paths) throws(InvalidValue) in
            config.sip.key = try ValueParsers.file(text, paths)
        },
        .string("sip", "ca") { (config, text, paths) throws(InvalidValue) in
            config.sip.ca = try ValueParsers.file(text, paths)
        },
        .boolean("sip", "require_client_cert") { $0.sip.requireClientCert = $1 },
        .integer("sip", "max_connections", in: 1...1_000_000) { $0.sip.maxConnections = $1 },
        .integer("sip", "max_connections_per_address", in: 1...1_000_000) { $0.sip.maxConnectionsPerAddress = $1 },
        .integer("sip", "handshake_timeout_ms", in: 1...600_000) { $0.sip.handshakeTimeout = .milliseconds($1) },
        .integer("sip", "idle_timeout_s", in: 1...86_400) { $0.sip.idleTimeout = .seconds($1) },
        .integer("sip", "max_message_bytes", in: 1024...16_777_216) { $0.sip.maxMessageBytes = $1 },

        .string("upstream", "address") { (config, text, _) throws(InvalidValue) in
            config.upstream.address = text.isEmpty ? nil : try HostPort.parseUpstream(text)
        },
        .string("upstream", "server_name") { (config, text, _) throws(InvalidValue) in
            config.upstream.serverName = try ValueParsers.hostOrIP(text)
        },
        .string("upstream", "client_cert") { (config, text, paths) throws(InvalidValue) in
            config.upstream.clientCert = try ValueParsers.file(text, paths)
        },
        .string("upstream", "client_key") { (config, text, paths) throws(InvalidValue) in
            config.upstream.clientKey = try ValueParsers.file(text, paths)
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
        },
        .integer("upstream", "reconnect_min_ms", in: 1...3_600_000) { $0.upstream.reconnectMin = .milliseconds($1) },
        .integer("upstream", "reconnect_max_ms", in: 1...3_600_000) { $0.upstream.reconnectMax = .milliseconds($1) },
        .integer("upstream", "keepalive_s", in: 1...3600) { $0.upstream.keepalive = .seconds($1) },

        .string("media", "ip") { (config, text, _) throws(InvalidValue) in
            config.media.ip = try ValueParsers.ip(text, wildcard: true)
        },
        .string("media", "advertised_ip") { (config, text, _) throws(InvalidValue) in
            config.media.advertisedIP = text.isEmpty ? "" : try ValueParsers.ip(text, wildcard: false)
        },
        .string("media", "ports") { (config, text, _) throws(InvalidValue) in
            config.media.ports = try ValueParsers.portRange(text)
        },
        .integer("media", "loops", in: 0...1024) { $0.media.loops = $1 },
        .integer("media", "idle_timeout_s", in: 1...86_400) { $0.media.idleTimeout = .seconds($1) },
        .strings("media", "suites") { (config, items) throws(InvalidValue) in
            config.media.suites = try ValueParsers.suites(items)
        },

        .integer("calls", "drain_s", in: 0...86_400) { $0.calls.drain = .seconds($1) },
        .integer("calls", "max_calls", in: 0...10_000_000) { $0.calls.maxCalls = $1 },

        .string("admin", "socket") { (config, text, paths) throws(InvalidValue) in
            config.admin.socket = try ValueParsers.socketPath(text, paths)
        },
        .string("admin", "socket_group") { (config, text, _) throws(InvalidValue) in
            config.admin.socketGroup = try ValueParsers.groupName(text)
        },
        .string("admin", "audit_log") { (config, text, paths) throws(InvalidValue) in
            config.admin.auditLog = try ValueParsers.newFile(text, paths)
        },
        .strings("admin", "viewers") { (config, items) throws(InvalidValue) in
            config.admin.viewers = try ValueParsers.principals(items)
        },
        .strings("admin", "operators") { (config, items) throws(InvalidValue) in
            config.admin.operators = try ValueParsers.principals(items)
        },
        .strings("admin", "admins") { (config, items) throws(InvalidValue) in
            config.admin.admins = try ValueParsers.principals(items)
        },

        .string("log", "level") { (config, text, _) throws(InvalidValue) in
            config.log.level = try ValueParsers.logLevel(text)
        },
    ]
}
