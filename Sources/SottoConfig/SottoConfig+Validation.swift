import Glibc

extension SottoConfig {
    /// Checks what no single key can: that the keys without a default are set (by the file or a flag)
    /// and that keys which depend on each other agree. Both ways of starting (a config file, or only
    /// defaults and flags) end here. Errors name ``file``, or `command line` when there is none.
    public func validated() throws(ConfigError) {
        let source = file ?? ConfigError.commandLine
        func refuse(_ key: String, _ reason: String) -> ConfigError {
            ConfigError(file: source, key: key, reason: reason)
        }
        func required(_ key: String, flag: String) -> ConfigError {
            refuse(key, "\(key) is required (set it in the config file or pass \(flag))")
        }

        if sip.cert.isEmpty { throw required("sip.cert", flag: "--cert") }
        if sip.key.isEmpty { throw required("sip.key", flag: "--key") }
        if sip.ca.isEmpty { throw required("sip.ca", flag: "--ca") }
        if upstream.address == nil { throw required("upstream.address", flag: "--upstream") }

        if sip.maxConnectionsPerAddress > sip.maxConnections {
            throw refuse(
                "sip.max_connections_per_address",
                "\(sip.maxConnectionsPerAddress) is more than sip.max_connections (\(sip.maxConnections))")
        }
        if sip.clientIdentity != "none" && !sip.requireClientCert {
            throw refuse(
                "sip.client_identity",
                "\"\(sip.clientIdentity)\" binds identities to client certificates, so it needs "
                    + "sip.require_client_cert = true")
        }
        if upstream.clientCert.isEmpty != upstream.clientKey.isEmpty {
            let (missing, present) =
                upstream.clientCert.isEmpty
                ? ("upstream.client_cert", "upstream.client_key") : ("upstream.client_key", "upstream.client_cert")
            throw refuse(missing, "\(present) is set but \(missing) is not; give both for mTLS to the PBX, or neither")
        }
        // The PBX connection idles out like any other (`sip.idle_timeout_s`) unless the keep-alive's answer comes
        // first: a keep-alive as slow as the idle timeout lets the link drop with the phones', and BYEs made
        // meanwhile reach nobody (the fault suite found this).
        if upstream.keepalive >= sip.idleTimeout {
            throw refuse(
                "upstream.keepalive_s",
                "\(upstream.keepalive) is not shorter than sip.idle_timeout_s (\(sip.idleTimeout)): the PBX "
                    + "connection would idle out between keep-alives")
        }
        if upstream.reconnectMin > upstream.reconnectMax {
            throw refuse(
                "upstream.reconnect_min_ms",
                "\(upstream.reconnectMin) is longer than upstream.reconnect_max_ms (\(upstream.reconnectMax))")
        }

        // Separation of duties: the same principal named as an auditor and as a viewer, operator or admin is a
        // mistake either way (a peer gets one role, and the auditor's would hide the other), so it is refused.
        for (key, others) in [
            ("admin.viewers", admin.viewers), ("admin.operators", admin.operators), ("admin.admins", admin.admins),
        ] {
            if let both = admin.auditors.first(where: others.contains) {
                throw refuse(
                    "admin.auditors",
                    "\(both) is also in \(key): the auditor role is kept apart from running the relay (a peer holds "
                        + "one role); give the compliance officer an account of their own")
            }
        }

        if admin.reservedConnections >= admin.maxConnections {
            throw refuse(
                "admin.reserved_connections",
                "\(admin.reservedConnections) is not less than admin.max_connections (\(admin.maxConnections)), so "
                    + "viewers could never connect")
        }

        // Hysteresis: a loop leaves polling below the exit packet rate, and in event mode has at most one wakeup
        // per packet; an exit rate at or above the enter wakeup rate could switch a loop back and forth every window.
        if media.pollEnterWakeupsPerSecond > 0 && media.pollExitPacketsPerSecond >= media.pollEnterWakeupsPerSecond {
            throw refuse(
                "media.poll_exit_pps",
                "\(media.pollExitPacketsPerSecond) is not less than media.poll_enter_wakeups_per_s "
                    + "(\(media.pollEnterWakeupsPerSecond)), so a loop could switch modes every 100 ms")
        }
        if media.advertisedIP.isEmpty && IPAddress.isWildcard(media.ip) {
            throw refuse(
                "media.advertised_ip",
                "media.ip is the any-address (\(media.ip)), which cannot go into SDP; set media.advertised_ip to the "
                    + "address peers send media to")
        }
        if !media.advertisedIP.isEmpty && !sameFamilyWorks(bound: media.ip, advertised: media.advertisedIP) {
            throw refuse(
                "media.advertised_ip",
                "\(media.advertisedIP) is not the same IP version as media.ip (\(media.ip)), so media sent to it "
                    + "could not reach the sockets")
        }
        try validateRecording(refuse)
        if !process.runAsGroup.isEmpty && process.runAsUser.isEmpty {
            throw refuse(
                "process.run_as_group",
                "\(process.runAsGroup) is set but process.run_as_user is not; Sotto switches group only together with "
                    + "the user")
        }
    }

    /// Whether a socket bound to `bound` receives packets sent to an `advertised` address of the
    /// other family's kind: only an IPv6 any-address does (a dual-stack socket).
    private func sameFamilyWorks(bound: String, advertised: String) -> Bool {
        let boundFamily = IPAddress.family(of: bound)
        if boundFamily == IPAddress.family(of: advertised) { return true }
        return boundFamily == AF_INET6 && IPAddress.isWildcard(bound)
    }
}

extension SottoConfig {
    /// `[recording]`'s checks across keys: only when recording is on, so an unused section never stops a start.
    fileprivate func validateRecording(_ refuse: (String, String) -> ConfigError) throws(ConfigError) {
        guard recording.enabled else { return }
        if recording.recipients.isEmpty {
            throw refuse(
                "recording.recipients",
                "recording.enabled is true but no recipients file is set; recordings are sealed to the public keys "
                    + "in it (make a pair with `sottoctl recordings keygen`)")
        }
        if recording.directory.isEmpty {
            throw refuse("recording.directory", "recording.enabled is true but no directory is set")
        }
        if recording.mode == .rules && !recording.rules.contains(where: \.record) {
            throw refuse(
                "recording.mode",
                "\"rules\" records only calls a [[recording.rule]] with record = true matches, and there is none")
        }
    }
}
