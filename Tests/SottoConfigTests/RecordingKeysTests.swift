import SottoTestSupport
import Testing

@testable import SottoConfig

/// `[recording]` and `[[recording.rule]]`: defaults, ranges, the rule tables, the checks across keys, and what a
/// rule decides for a call.
@Suite struct RecordingKeysTests {
    /// The minimal document plus a `[recording]` section and rule tables, with a recipients file beside it.
    private func recordingDocument(_ recording: [String], rules: [[String]] = []) -> String {
        var text = document()
        text += "\n[recording]\n" + recording.joined(separator: "\n") + "\n"
        for rule in rules {
            text += "\n[[recording.rule]]\n" + rule.joined(separator: "\n") + "\n"
        }
        return text
    }

    private func directory() throws -> TemporaryDirectory {
        let directory = try directoryWithCertificates()
        try directory.write("keys/recipients.pub", "sotto-recording-key-1 AAAA\n")
        return directory
    }

    @Test func theDefaultsAreOffAndSafe() {
        let recording = SottoConfig.defaults.recording
        #expect(!recording.enabled)
        #expect(recording.mode == .all)
        #expect(recording.retentionDays == 90)
        #expect(!recording.required)
        #expect(recording.chunkInterval == .seconds(2))
        #expect(recording.ringBytes == 8 << 20)
        #expect(recording.rules.isEmpty)
        #expect(recording.directory == "/var/lib/sotto/recordings")
        #expect(recording.recipients == "")
        let decision = recording.decision(caller: "a", callee: "b", requestURI: "c") { _ in ["yes"] }
        #expect(!decision.record)
    }

    @Test func keysAreReadAndPathsResolved() throws {
        let directory = try directory()
        let config = try load(
            recordingDocument(
                [
                    "enabled = true", "mode = \"rules\"", "directory = \"rec/\"",
                    "recipients = \"keys/recipients.pub\"",
                    "retention_days = 180", "required = true", "chunk_s = 5", "ring_bytes = 16777216",
                ], rules: [["header = \"X-Sotto-Record: yes\"", "record = true"]]),
            in: directory)
        try config.validated()
        #expect(config.recording.enabled && config.recording.required)
        #expect(config.recording.mode == .rules)
        #expect(config.recording.directory == directory.path + "/rec")
        #expect(config.recording.recipients == directory.path + "/keys/recipients.pub")
        #expect(config.recording.retentionDays == 180)
        #expect(config.recording.chunkInterval == .seconds(5))
        #expect(config.recording.ringBytes == 16 << 20)
        #expect(
            config.recording.rules == [RecordingRule(headerName: "X-Sotto-Record", headerValue: "yes", record: true)])
        #expect(config.effectiveValues()["recording"]?["rule"] == .strings(["header=X-Sotto-Record: yes record=true"]))
    }

    @Test(arguments: [
        ("retention_days = 0", "recording.retention_days", "0 is out of range; it must be 1-3650"),
        ("retention_days = 3651", "recording.retention_days", "3651 is out of range; it must be 1-3650"),
        ("chunk_s = 31", "recording.chunk_s", "31 is out of range; it must be 1-30"),
        ("chunk_s = 0", "recording.chunk_s", "0 is out of range; it must be 1-30"),
        ("ring_bytes = 1048575", "recording.ring_bytes", "1048575 is out of range; it must be 1048576-268435456"),
        ("ring_bytes = 268435457", "recording.ring_bytes", "268435457 is out of range; it must be 1048576-268435456"),
        ("mode = \"some\"", "recording.mode", "\"some\" is not a recording mode (all, rules)"),
        ("directory = \"\"", "recording.directory", "the path is empty"),
    ])
    func outOfRangeValuesAreRefused(line: String, key: String, reason: String) throws {
        let directory = try directory()
        let error = loadError(recordingDocument([line]), in: directory)
        #expect(error?.key == key)
        #expect(error?.reason == reason)
    }

    @Test func aMissingRecipientsFileIsRefusedAtItsKey() throws {
        let directory = try directory()
        let error = loadError(recordingDocument(["recipients = \"keys/nope.pub\""]), in: directory)
        #expect(error?.key == "recording.recipients")
        #expect(error?.reason.contains("cannot read") == true)
    }

    @Test func recordingOnNeedsRecipients() throws {
        let directory = try directory()
        let error = loadError(recordingDocument(["enabled = true"]), in: directory)
        #expect(error?.key == "recording.recipients")
        #expect(error?.reason.contains("no recipients file") == true)
        // Off, the section may be incomplete.
        let off = try load(recordingDocument(["enabled = false"]), in: directory)
        try off.validated()
    }

    @Test func modeRulesNeedsARuleThatRecords() throws {
        let directory = try directory()
        let base = ["enabled = true", "mode = \"rules\"", "recipients = \"keys/recipients.pub\""]
        let none = loadError(recordingDocument(base), in: directory)
        #expect(none?.key == "recording.mode")
        let onlyExempt = loadError(
            recordingDocument(base, rules: [["callee = \"*\"", "record = false"]]), in: directory)
        #expect(onlyExempt?.key == "recording.mode")
    }

    @Test func recordingAndEndToEndEncryptionDoNotMix() throws {
        let directory = try directory()
        let error = loadError(
            recordingDocument(
                [],
                rules: [
                    ["caller = \"*\"", "record = true"], ["callee = \"sip:e2e*\"", "e2ee = true", "record = true"],
                ]),
            in: directory)
        #expect(error?.key == "recording.rule[2].e2ee")
        #expect(error?.reason.contains("recording and end-to-end encryption do not mix") == true)
        // An exemption for such a route is fine.
        let exempt = try load(
            recordingDocument([], rules: [["callee = \"sip:e2e*\"", "e2ee = true", "record = false"]]), in: directory)
        #expect(exempt.recording.rules.first?.e2ee == true)
    }

    @Test(arguments: [
        (["caller = \"*\""], "recording.rule[1].record", "a rule must say record = true or record = false"),
        (["record = \"yes\""], "recording.rule[1].record", "expected a boolean (true or false)"),
        (
            ["record = true", "calee = \"x\""], "recording.rule[1].calee",
            "unknown key \"calee\" in a rule (it takes caller, callee, request_uri, header, record, retention_days, e2ee)"
        ),
        (
            ["record = true", "caller = \"\""], "recording.rule[1].caller",
            "the pattern is empty; use \"*\" to match anything"
        ),
        (
            ["record = true", "header = \"X-Sotto-Record\""], "recording.rule[1].header",
            "\"X-Sotto-Record\" is not \"Name: value\" (for example \"X-Sotto-Record: yes\")"
        ),
        (
            ["record = true", "header = \"X Record: yes\""], "recording.rule[1].header",
            "\"X Record\" is not a header name"
        ),
        (
            ["record = true", "header = \"X-R:  \""], "recording.rule[1].header",
            "the pattern is empty; use \"*\" to match anything"
        ),
        (
            ["record = true", "retention_days = 4000"], "recording.rule[1].retention_days",
            "4000 is out of range; it must be 1-3650"
        ),
    ])
    func aBadRuleIsRefusedNamingItsKey(rule: [String], key: String, reason: String) throws {
        let directory = try directory()
        let error = loadError(recordingDocument([], rules: [rule]), in: directory)
        #expect(error?.key == key)
        #expect(error?.reason == reason)
    }

    @Test func aRuleThatIsNotATableIsRefused() throws {
        let directory = try directory()
        let error = loadError(recordingDocument(["rule = [\"caller\"]"]), in: directory)
        #expect(error?.key == "recording.rule[1]")
        let empty = try load(recordingDocument(["rule = []"]), in: directory)
        #expect(empty.recording.rules.isEmpty)
    }

    @Test func theFirstMatchingRuleDecides() throws {
        var settings = SottoConfig.RecordingSettings()
        settings.enabled = true
        settings.rules = [
            RecordingRule(headerName: "X-Sotto-Record", headerValue: "no", record: false),
            RecordingRule(caller: "sip:+44*", callee: "*@sales.example.com", record: true, retentionDays: 365),
            RecordingRule(requestURI: "sip:internal-*", record: false),
        ]
        func decide(_ caller: String, _ callee: String, _ uri: String, _ header: [String] = []) -> RecordingDecision {
            settings.decision(caller: caller, callee: callee, requestURI: uri) { name in
                name.lowercased() == "x-sotto-record" ? header : []
            }
        }
        // Mode all: an exemption, a rule's retention, no match records with the default.
        #expect(
            decide("sip:+4420@pbx", "sip:a@sales.example.com", "sip:x", [" No "])
                == .init(record: false, retentionDays: 90, rule: 1))
        #expect(
            decide("SIP:+4420@pbx", "sip:a@SALES.example.com", "sip:x")
                == .init(record: true, retentionDays: 365, rule: 2))
        #expect(
            decide("sip:+4420@pbx", "sip:a@support.example.com", "sip:internal-7")
                == .init(record: false, retentionDays: 90, rule: 3))
        #expect(
            decide("sip:+33@pbx", "sip:a@support.example.com", "sip:x")
                == .init(record: true, retentionDays: 90, rule: nil))
        // Mode rules: no match is not recorded.
        settings.mode = .rules
        #expect(
            decide("sip:+33@pbx", "sip:a@support.example.com", "sip:x")
                == .init(record: false, retentionDays: 90, rule: nil))
        #expect(decide("sip:+4420@pbx", "sip:b@sales.example.com", "sip:x").record)
    }

    @Test(arguments: [
        ("*", "", true), ("*", "anything", true), ("sip:+44*", "sip:+4420", true), ("sip:+44*", "xsip:+44", false),
        ("*@example.com", "sip:a@EXAMPLE.COM", true), ("*@example.com", "sip:a@example.com.evil", false),
        ("a*b*c", "aXbYc", true), ("a*b*c", "aXbYcZ", false), ("a*b*c", "abbbc", true), ("abc", "ab", false),
        ("yes", "YES", true), ("a?c", "abc", false), ("a[b]c", "a[b]c", true),
    ])
    func globMatchesWholeTextWithOnlyStarSpecial(pattern: String, text: String, expected: Bool) {
        #expect(RecordingRule.glob(pattern, matches: text) == expected)
    }
}
