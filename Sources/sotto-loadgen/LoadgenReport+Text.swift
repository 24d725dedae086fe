extension LoadgenReport {
    /// The final text report.
    var text: String {
        let f = Self.format
        var lines: [String] = []
        let target =
            settings.floor.map {
                "the floor relay \($0.ip):\($0.firstPort)-\($0.lastPort) (plain RTP, no SIP, TLS or SRTP)"
            } ?? "\(settings.relayHost):\(settings.relayPort)"
        lines.append(
            "sotto-loadgen: \(settings.calls) calls (concurrency \(settings.concurrency)) through "
                + "\(target), \(settings.codec.rawValue) \(settings.ptimeMilliseconds) ms, "
                + "\(settings.floor == nil ? settings.suite : "\(settings.suite)-sized packets"), hold \(f(settings.holdSeconds, 1)) s, direction \(settings.direction.rawValue)"
                + (settings.register ? ", --register" : "")
                + (settings.callee.map { ", callee \($0)" } ?? "") + (settings.expectEcho ? " (echo expected)" : "")
                + (settings.ringSeconds > 0 ? ", ring \(f(settings.ringSeconds, 1)) s" : "")
                + (settings.holdDirection.map { ", answered \($0.rawValue)" } ?? ""))
        lines.append("duration            \(f(durationSeconds, 2)) s")
        lines.append(
            "calls               attempted \(calls.attempted), completed \(calls.completed), failed \(calls.failed), "
                + "\(f(calls.callsPerSecond, 2)) calls/s")
        for (cause, count) in calls.failuresByStatus.sorted(by: { $0.key < $1.key }) {
            lines.append("  failed: \(cause)  \(count)")
        }
        func setupLines(_ s: Percentiles, _ m: Percentiles, indent: String) {
            let pad = { (text: String) in
                (indent + text).padding(toLength: 20 + indent.count, withPad: " ", startingAt: 0)
            }
            lines.append(
                pad("setup INVITE→200")
                    + "p50 \(f(s.p50, 2)) ms  p90 \(f(s.p90, 2))  p99 \(f(s.p99, 2))  max \(f(s.max, 2))")
            lines.append(
                pad("setup INVITE→media")
                    + "p50 \(f(m.p50, 2)) ms  p90 \(f(m.p90, 2))  p99 \(f(m.p99, 2))  max \(f(m.max, 2))")
        }
        setupLines(calls.inviteTo200Ms, calls.inviteToFirstMediaMs, indent: "")
        if settings.direction != .outbound {
            for (name, part) in calls.byDirection.sorted(by: { $0.key > $1.key }) {
                lines.append(
                    "\(name)".padding(toLength: 20, withPad: " ", startingAt: 0)
                        + "attempted \(part.attempted), completed \(part.completed), failed \(part.failed)")
                setupLines(part.inviteTo200Ms, part.inviteToFirstMediaMs, indent: "  ")
            }
        }
        if settings.register {
            let r = registrations.registerMs
            lines.append(
                "registrations       attempted \(registrations.attempted), registered \(registrations.registered), "
                    + "failed \(registrations.failed)")
            for (cause, count) in registrations.failuresByStatus.sorted(by: { $0.key < $1.key }) {
                lines.append("  failed: \(cause)  \(count)")
            }
            lines.append(
                "  REGISTER→200      p50 \(f(r.p50, 2)) ms  p90 \(f(r.p90, 2))  p99 \(f(r.p99, 2))  max \(f(r.max, 2))")
            if let sent = registrations.refreshesSent {
                let failures = registrations.refreshFailuresByStatus ?? [:]
                lines.append(
                    "  refreshes         sent \(sent), answered 200 \(registrations.refreshed ?? 0), "
                        + "failed \(failures.values.reduce(0, +))")
                for (cause, count) in failures.sorted(by: { $0.key < $1.key }) {
                    lines.append("  refresh failed: \(cause)  \(count)")
                }
            }
        }
        lines.append("")
        // With --expect-echo the first column is each phone's own packets, out through the relay and back.
        lines.append(
            settings.expectEcho
                ? "media               phone→echo→phone PBX→phone" : "media               phone→PBX        PBX→phone")
        let a = media.phoneToPBX
        let b = media.pbxToPhone
        func row(_ name: String, _ x: String, _ y: String) {
            lines.append(
                name.padding(toLength: 20, withPad: " ", startingAt: 0)
                    + x.padding(toLength: 17, withPad: " ", startingAt: 0) + y)
        }
        row("  sent", "\(a.sent)", "\(b.sent)")
        row("  received", "\(a.received)", "\(b.received)")
        row("  lost", "\(a.lost) (\(f(a.lossPercent, 3)) %)", "\(b.lost) (\(f(b.lossPercent, 3)) %)")
        row("  reordered", "\(a.reordered)", "\(b.reordered)")
        row("  duplicates", "\(a.duplicates)", "\(b.duplicates)")
        row("  auth failures", "\(a.authFailures)", "\(b.authFailures)")
        row("  wrong SSRC", "\(a.wrongSSRC)", "\(b.wrongSSRC)")
        row("  corrupt payload", "\(a.corrupt)", "\(b.corrupt)")
        row("  other drops", "\(a.otherDrops)", "\(b.otherDrops)")
        row(
            "  jitter mean/max", "\(f(a.jitterMeanMs, 2))/\(f(a.jitterMaxMs, 2)) ms",
            "\(f(b.jitterMeanMs, 2))/\(f(b.jitterMaxMs, 2)) ms")
        row("  latency p50", "\(f(a.latencyMs.p50, 3)) ms", "\(f(b.latencyMs.p50, 3)) ms")
        row("  latency p90", "\(f(a.latencyMs.p90, 3)) ms", "\(f(b.latencyMs.p90, 3)) ms")
        row("  latency p99", "\(f(a.latencyMs.p99, 3)) ms", "\(f(b.latencyMs.p99, 3)) ms")
        row("  latency max", "\(f(a.latencyMs.max, 3)) ms", "\(f(b.latencyMs.max, 3)) ms")
        if let hold = settings.holdDirection {
            let silent = hold == .inactive ? "both directions" : "the caller's direction"
            lines.append(
                "  on hold           answer a=\(hold.rawValue): \(silent) silent by design (0 sent is not loss), "
                    + "\(media.silentDirectionPackets) packets seen there")
        }
        lines.append("")
        lines.append(
            "total               sent \(media.packetsSent), received \(media.packetsReceived), loss "
                + "\(f(media.lossPercent, 3)) %, \(f(media.packetsPerSecond, 0)) packets/s")
        lines.append(
            "generator           CPU \(f(media.generatorCPUSeconds, 2)) s, \(f(media.generatorCPUPerPacketUs, 2)) µs/packet, "
                + "skipped slots \(media.generatorSkipped), stray packets \(media.strayPackets)")
        if passed {
            lines.append("result              PASS")
        } else {
            for violation in violations { lines.append("result              FAIL: \(violation)") }
        }
        return lines.joined(separator: "\n")
    }
}
