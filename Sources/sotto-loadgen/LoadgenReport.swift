import Foundation
import Histogram

/// Percentiles of one measurement.
struct Percentiles: Sendable, Codable, Equatable {
    var count: Int = 0
    var p50: Double = 0
    var p90: Double = 0
    var p99: Double = 0
    var max: Double = 0

    /// From a histogram recorded in `unit`s, reported divided by `divisor`.
    init(_ histogram: Histogram<UInt64>, divisor: Double = 1) {
        count = Int(histogram.totalCount)
        guard count > 0 else { return }
        p50 = Double(histogram.valueAtPercentile(50)) / divisor
        p90 = Double(histogram.valueAtPercentile(90)) / divisor
        p99 = Double(histogram.valueAtPercentile(99)) / divisor
        max = Double(histogram.max) / divisor
    }

    init() {}
}

/// One direction's totals over every call.
struct DirectionTotals: Sendable, Codable, Equatable {
    var sent = 0
    var received = 0
    var lost = 0
    var lossPercent = 0.0
    var reordered = 0
    var duplicates = 0
    var authFailures = 0
    var wrongSSRC = 0
    var corrupt = 0
    var otherDrops = 0
    /// RFC 3550 jitter at the end of each call, averaged over calls, and the largest seen, in ms.
    var jitterMeanMs = 0.0
    var jitterMaxMs = 0.0
    /// One-way latency through the relay, in milliseconds.
    var latencyMs = Percentiles()

    mutating func add(_ result: DirectionResult) {
        sent += result.sent
        received += result.received
        lost += result.lost
        reordered += result.reordered
        duplicates += result.duplicates
        authFailures += result.authFailures
        wrongSSRC += result.wrongSSRC
        corrupt += result.corrupt
        otherDrops += result.otherDrops
        jitterMaxMs = Swift.max(jitterMaxMs, result.maxJitterMs)
    }
}

/// The whole report: what `--json` writes and the text report shows.
struct LoadgenReport: Sendable, Codable, Equatable {
    struct Calls: Sendable, Codable, Equatable {
        var attempted = 0
        var completed = 0
        var failed = 0
        /// Failures by cause: `"SIP 503"`, `"connection failed"`, `"timeout"`, ...
        var failuresByStatus: [String: Int] = [:]
        /// Calls the relay ended with a BYE of its own that reached the phone, and the PBX side.
        var relayByesToPhones = 0
        var relayByesToPBX = 0
        var callsPerSecond = 0.0
        var inviteTo200Ms = Percentiles()
        var inviteToFirstMediaMs = Percentiles()
        /// The same figures per call direction (`outbound`, `inbound`), for the directions the run used.
        var byDirection: [String: DirectionCalls] = [:]
    }

    /// One call direction's share of the calls.
    struct DirectionCalls: Sendable, Codable, Equatable {
        var attempted = 0
        var completed = 0
        var failed = 0
        var failuresByStatus: [String: Int] = [:]
        var inviteTo200Ms = Percentiles()
        var inviteToFirstMediaMs = Percentiles()
    }

    /// The softphones' REGISTERs (`--register`); all zero without it.
    struct Registrations: Sendable, Codable, Equatable {
        var attempted = 0
        var registered = 0
        var failed = 0
        /// Failures by cause: `"REGISTER 403"`, `"connection failed"`, `"timeout"`.
        var failuresByStatus: [String: Int] = [:]
        var registerMs = Percentiles()
        /// `--register-every`: refreshes sent, answered 2xx, and failed by cause (nil without it).
        var refreshesSent: Int?
        var refreshed: Int?
        var refreshFailuresByStatus: [String: Int]?
    }

    struct Media: Sendable, Codable, Equatable {
        var phoneToPBX = DirectionTotals()
        var pbxToPhone = DirectionTotals()
        var packetsSent = 0
        var packetsReceived = 0
        var lossPercent = 0.0
        var authFailures = 0
        var packetsPerSecond = 0.0
        /// Packet slots the generator skipped because it fell behind its schedule (saturated).
        var generatorSkipped = 0
        /// Packets that came from an address no live stream expected (none from a well-behaved relay).
        var strayPackets = 0
        /// Packets sent or received in a direction the answer put on hold (`--hold-direction`): the caller does not
        /// send toward a sendonly answer, nobody sends on an inactive one, so a relay that keeps the hold shows 0.
        /// Those directions' zero `sent` is by design, not loss.
        var silentDirectionPackets = 0
        var generatorCPUSeconds = 0.0
        /// The generator's own CPU (user + system, whole process) per packet sent or received.
        var generatorCPUPerPacketUs = 0.0
    }

    struct Limits: Sendable, Codable, Equatable {
        var maxLossPercent = 0.1
        var maxFailures = 0
    }

    var tool = "sotto-loadgen"
    var version = 1
    var settings: LoadgenSettings
    var durationSeconds = 0.0
    var calls = Calls()
    var registrations = Registrations()
    var media = Media()
    var limits = Limits()
    /// Why the run failed its limits; empty when it passed.
    var violations: [String] = []
    var passed: Bool { violations.isEmpty }
    var perCall: [CallResult] = []

    enum CodingKeys: String, CodingKey {
        case tool, version, settings, durationSeconds, calls, registrations, media, limits, violations, passedLimits,
            perCall
    }

    init(settings: LoadgenSettings) { self.settings = settings }

    init(from decoder: Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        tool = try container.decode(String.self, forKey: .tool)
        version = try container.decode(Int.self, forKey: .version)
        settings = try container.decode(LoadgenSettings.self, forKey: .settings)
        durationSeconds = try container.decode(Double.self, forKey: .durationSeconds)
        calls = try container.decode(Calls.self, forKey: .calls)
        registrations = try container.decodeIfPresent(Registrations.self, forKey: .registrations) ?? Registrations()
        media = try container.decode(Media.self, forKey: .media)
        limits = try container.decode(Limits.self, forKey: .limits)
        violations = try container.decode([String].self, forKey: .violations)
        perCall = try container.decode([CallResult].self, forKey: .perCall)
    }

    func encode(to encoder: Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(tool, forKey: .tool)
        try container.encode(version, forKey: .version)
        try container.encode(settings, forKey: .settings)
        try container.encode(durationSeconds, forKey: .durationSeconds)
        try container.encode(calls, forKey: .calls)
        try container.encode(registrations, forKey: .registrations)
        try container.encode(media, forKey: .media)
        try container.encode(limits, forKey: .limits)
        try container.encode(violations, forKey: .violations)
        try container.encode(passed, forKey: .passedLimits)
        try container.encode(perCall, forKey: .perCall)
    }

    /// Builds the report from the calls' results and the pump's latency histograms.
    static func make(
        settings: LoadgenSettings, results: [CallResult], latency: [Histogram<UInt64>], durationSeconds: Double,
        cpuSeconds: Double, skipped: Int, strays: Int = 0, registrations: [RegistrationResult] = []
    ) -> LoadgenReport {
        var report = LoadgenReport(settings: settings)
        report.durationSeconds = durationSeconds
        report.perCall = results
        report.limits = Limits(maxLossPercent: settings.maxLossPercent, maxFailures: settings.maxFailures)
        var setup = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var firstMedia = Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        var jitterSums = [0.0, 0.0]
        var jitterCounts = [0, 0]
        var directions = [DirectionTotals(), DirectionTotals()]
        func histogram() -> Histogram<UInt64> {
            Histogram(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .three)
        }
        var byDirection: [String: (calls: DirectionCalls, setup: Histogram<UInt64>, media: Histogram<UInt64>)] = [:]
        for result in results {
            let name = result.direction.rawValue
            var entry = byDirection[name] ?? (DirectionCalls(), histogram(), histogram())
            entry.calls.attempted += 1
            if result.completed {
                entry.calls.completed += 1
            } else {
                entry.calls.failed += 1
                entry.calls.failuresByStatus[result.failure ?? "unknown", default: 0] += 1
            }
            if let ms = result.setupMs { _ = entry.setup.record(UInt64(max(1, ms * 1000))) }
            if let ms = result.firstMediaMs { _ = entry.media.record(UInt64(max(1, ms * 1000))) }
            byDirection[name] = entry
            report.calls.attempted += 1
            if result.relayByeToPhone { report.calls.relayByesToPhones += 1 }
            if result.relayByeToPBX { report.calls.relayByesToPBX += 1 }
            if result.completed {
                report.calls.completed += 1
            } else {
                report.calls.failed += 1
                report.calls.failuresByStatus[result.failure ?? "unknown", default: 0] += 1
            }
            if let ms = result.setupMs { _ = setup.record(UInt64(max(1, ms * 1000))) }
            if let ms = result.firstMediaMs { _ = firstMedia.record(UInt64(max(1, ms * 1000))) }
            for index in result.silentDirections where index < result.directions.count {
                report.media.silentDirectionPackets += result.directions[index].sent + result.directions[index].received
            }
            for index in 0..<2 where index < result.directions.count {
                directions[index].add(result.directions[index])
                if result.directions[index].received > 1 {
                    jitterSums[index] += result.directions[index].jitterMs
                    jitterCounts[index] += 1
                }
            }
        }
        for index in 0..<2 {
            directions[index].jitterMeanMs =
                jitterCounts[index] > 0 ? jitterSums[index] / Double(jitterCounts[index]) : 0
            directions[index].lossPercent =
                directions[index].sent > 0 ? 100 * Double(directions[index].lost) / Double(directions[index].sent) : 0
            if index < latency.count { directions[index].latencyMs = Percentiles(latency[index], divisor: 1000) }
        }
        report.calls.inviteTo200Ms = Percentiles(setup, divisor: 1000)
        report.calls.inviteToFirstMediaMs = Percentiles(firstMedia, divisor: 1000)
        for (name, entry) in byDirection {
            var calls = entry.calls
            calls.inviteTo200Ms = Percentiles(entry.setup, divisor: 1000)
            calls.inviteToFirstMediaMs = Percentiles(entry.media, divisor: 1000)
            report.calls.byDirection[name] = calls
        }
        var registerMs = histogram()
        for registration in registrations {
            report.registrations.attempted += 1
            if let failure = registration.failure {
                report.registrations.failed += 1
                report.registrations.failuresByStatus[failure, default: 0] += 1
            } else {
                report.registrations.registered += 1
            }
            if let ms = registration.registerMs { _ = registerMs.record(UInt64(max(1, ms * 1000))) }
        }
        report.registrations.registerMs = Percentiles(registerMs, divisor: 1000)
        report.calls.callsPerSecond = durationSeconds > 0 ? Double(report.calls.completed) / durationSeconds : 0
        report.media.phoneToPBX = directions[0]
        report.media.pbxToPhone = directions[1]
        report.media.packetsSent = directions[0].sent + directions[1].sent
        report.media.packetsReceived = directions[0].received + directions[1].received
        let lost = directions[0].lost + directions[1].lost
        report.media.lossPercent =
            report.media.packetsSent > 0 ? 100 * Double(lost) / Double(report.media.packetsSent) : 0
        report.media.authFailures = directions[0].authFailures + directions[1].authFailures
        report.media.packetsPerSecond =
            durationSeconds > 0 ? Double(report.media.packetsSent + report.media.packetsReceived) / durationSeconds : 0
        report.media.generatorSkipped = skipped
        report.media.strayPackets = strays
        report.media.generatorCPUSeconds = cpuSeconds
        let packets = report.media.packetsSent + report.media.packetsReceived
        report.media.generatorCPUPerPacketUs = packets > 0 ? cpuSeconds * 1e6 / Double(packets) : 0
        report.violations = report.checkLimits()
        return report
    }

    /// The limits a run must meet for exit status 0.
    func checkLimits() -> [String] {
        var violations: [String] = []
        if registrations.failed > 0 {
            // A failed REGISTER counts against --max-failures like a failed call.
            if calls.failed + registrations.failed > limits.maxFailures {
                violations.append(
                    "\(calls.failed) calls and \(registrations.failed) REGISTERs failed, more than --max-failures "
                        + "\(limits.maxFailures)")
            }
        } else if calls.failed > limits.maxFailures {
            violations.append("\(calls.failed) calls failed, more than --max-failures \(limits.maxFailures)")
        }
        if media.lossPercent > limits.maxLossPercent {
            violations.append(
                "loss \(Self.format(media.lossPercent, 3)) % is over --max-loss \(Self.format(limits.maxLossPercent, 3)) %"
            )
        }
        let integrity = [media.phoneToPBX, media.pbxToPhone].reduce(0) {
            $0 + $1.authFailures + $1.corrupt + $1.wrongSSRC
        }
        if integrity > 0 {
            violations.append("\(integrity) packets failed authentication, SSRC or payload checks")
        }
        if media.silentDirectionPackets > 0 {
            violations.append(
                "\(media.silentDirectionPackets) packets flowed in a direction the answer put on hold "
                    + "(--hold-direction \(settings.holdDirection?.rawValue ?? "-"))")
        }
        if calls.attempted == 0 { violations.append("no call was attempted") }
        return violations
    }

    /// The JSON form (`--json FILE`), keys sorted.
    func json() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        return try encoder.encode(self)
    }

    /// Reads a report written by `--json`.
    static func parse(_ data: Data) throws -> LoadgenReport {
        try JSONDecoder().decode(LoadgenReport.self, from: data)
    }

    static func format(_ value: Double, _ decimals: Int) -> String { String(format: "%.\(decimals)f", value) }
}
