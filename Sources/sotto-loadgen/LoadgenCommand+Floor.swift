/// `--floor`: the options that make no sense without SIP are refused rather than ignored.
extension LoadgenCommand {
    /// Throws when an option given with `--floor` needs SIP, TLS or SRTP.
    func checkFloorOptions() throws(LoadgenError) {
        let signalling: [(String, Bool)] = [
            ("--relay", relay != nil), ("--register", register), ("--register-every", registerEvery != 0),
            ("--direction", direction.lowercased() != CallDirection.outbound.rawValue),
            ("--hold-direction", holdDirection != nil), ("--ring", ring != 0), ("--callee", callee != "pbx"),
            ("--expect-echo", expectEcho),
        ]
        let given = signalling.filter(\.1).map(\.0)
        guard given.isEmpty else {
            throw LoadgenError(
                "--floor has no signalling: \(given.joined(separator: ", ")) cannot be used with it")
        }
    }
}
