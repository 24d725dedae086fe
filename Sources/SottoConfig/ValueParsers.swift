import Glibc
import SRTP

/// The checks behind each key, shared by the file reader and the command-line overrides. Each returns
/// the typed value or throws the reason it is refused.
enum ValueParsers {
    /// An IP literal, IPv6 with or without brackets, returned without brackets.
    static func ip(_ text: String, wildcard: Bool) throws(InvalidValue) -> String {
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        guard IPAddress.isValid(bare) else {
            throw InvalidValue("\"\(text)\" is not an IP address")
        }
        guard wildcard || !IPAddress.isWildcard(bare) else {
            throw InvalidValue("\"\(text)\" is the any-address, which a peer cannot send to; give a real address")
        }
        return bare
    }

    /// A host name or an IP literal (not the any-address), IPv6 returned without brackets; "" stays "".
    static func hostOrIP(_ text: String) throws(InvalidValue) -> String {
        if text.isEmpty || IPAddress.isHostName(text) { return text }
        let bare = text.hasPrefix("[") && text.hasSuffix("]") ? String(text.dropFirst().dropLast()) : text
        guard IPAddress.isValid(bare) else {
            throw InvalidValue("\"\(text)\" is neither a host name nor an IP address")
        }
        return try ip(text, wildcard: false)
    }

    /// `LOW-HIGH`: LOW even, HIGH above LOW, both within 1024-65535, at least 4 ports (one media
    /// stream of a call: two legs, each an RTP port and the RTCP port above it).
    static func portRange(_ text: String) throws(InvalidValue) -> ClosedRange<UInt16> {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = decimal(parts[0]), let high = decimal(parts[1]), low <= high else {
            throw InvalidValue("\"\(text)\" is not a port range LOW-HIGH with LOW <= HIGH")
        }
        guard low >= 1024, high <= 65_535 else {
            throw InvalidValue("\"\(text)\" is outside 1024-65535")
        }
        guard low % 2 == 0 else {
            throw InvalidValue("\"\(text)\": LOW must be even (RTP takes the even port, RTCP the odd one above)")
        }
        guard high - low + 1 >= 4 else {
            throw InvalidValue(
                "\"\(text)\" holds \(high - low + 1) ports; a call needs 4 (two legs, an RTP and an RTCP port each)")
        }
        return UInt16(low)...UInt16(high)
    }

    /// A run of 1-5 decimal digits.
    private static func decimal(_ text: Substring) -> Int? {
        guard (1...5).contains(text.utf8.count), text.utf8.allSatisfy({ (0x30...0x39).contains($0) }) else {
            return nil
        }
        return Int(text)
    }

    /// The SRTP allow-list: known suite names, at least one, none twice.
    /// CIDR networks `ADDRESS/PREFIX` (or a bare address, a single host), each checked; returned as written.
    static func networks(_ items: [String]) throws(InvalidValue) -> [String] {
        for item in items {
            let parts = item.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
            guard let family = IPAddress.family(of: String(parts[0])) else {
                throw InvalidValue("\"\(item)\" is not a network ADDRESS/PREFIX (an IP address, then a prefix length)")
            }
            let bits = family == AF_INET ? 32 : 128
            if parts.count == 2 {
                guard let prefix = Int(parts[1]), (0...bits).contains(prefix) else {
                    throw InvalidValue("\"\(item)\" has a prefix length outside 0-\(bits)")
                }
            }
        }
        return items
    }

    static func suites(_ names: [String]) throws(InvalidValue) -> [SRTPProfile] {
        guard !names.isEmpty else {
            throw InvalidValue("the list is empty; name at least one SRTP suite (\(knownSuites))")
        }
        var suites: [SRTPProfile] = []
        for name in names {
            guard let suite = SRTPProfile(rawValue: name) else {
                throw InvalidValue("\"\(name)\" is not an SRTP suite Sotto knows (\(knownSuites))")
            }
            guard !suites.contains(suite) else {
                throw InvalidValue("\"\(name)\" is listed twice")
            }
            suites.append(suite)
        }
        return suites
    }

    private static var knownSuites: String {
        SRTPProfile.allCases.map(\.rawValue).joined(separator: ", ")
    }

    /// One of the ``LogLevel`` names.
    static func logLevel(_ text: String) throws(InvalidValue) -> LogLevel {
        guard let level = LogLevel(rawValue: text) else {
            let names = LogLevel.allCases.map(\.rawValue).joined(separator: ", ")
            throw InvalidValue("\"\(text)\" is not a log level (\(names))")
        }
        return level
    }

    /// A file Sotto reads at start, made absolute and checked; "" (not set) stays "".
    static func file(_ text: String, _ paths: PathResolver) throws(InvalidValue) -> String {
        text.isEmpty ? text : try paths.readableFile(text)
    }

    /// The longest path a Unix socket address holds (`sun_path` is 108 bytes with its NUL).
    static let maximumSocketPathBytes = 107

    /// The admin socket's path, made absolute; it need not exist yet.
    static func socketPath(_ text: String, _ paths: PathResolver) throws(InvalidValue) -> String {
        guard !text.isEmpty else { throw InvalidValue("the path is empty; give the admin socket's path") }
        guard !text.contains("\0") else { throw InvalidValue("the path contains a NUL character") }
        guard !text.hasSuffix("/") else { throw InvalidValue("\"\(text)\" names a directory, not a socket") }
        let resolved = paths.resolve(text)
        guard resolved.utf8.count <= maximumSocketPathBytes else {
            throw InvalidValue(
                "\"\(resolved)\" is \(resolved.utf8.count) bytes; a Unix socket path holds at most "
                    + "\(maximumSocketPathBytes)")
        }
        return resolved
    }

    /// A group for the admin socket: a name or a number; empty for none.
    static func groupName(_ text: String) throws(InvalidValue) -> String {
        guard text.isEmpty || text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
        else {
            throw InvalidValue("\"\(text)\" is not a group name or number")
        }
        return text
    }

    /// A user or group Sotto runs as: a name or a number; empty for none. Names are looked up at start.
    static func accountName(_ text: String) throws(InvalidValue) -> String {
        guard text.isEmpty || text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "_-.".contains($0)) })
        else {
            throw InvalidValue("\"\(text)\" is not a user or group name or number")
        }
        return text
    }

    /// A file Sotto creates or appends to (the audit log), made absolute; it need not exist yet.
    static func newFile(_ text: String, _ paths: PathResolver) throws(InvalidValue) -> String {
        guard !text.isEmpty else { throw InvalidValue("the path is empty") }
        guard !text.contains("\0") else { throw InvalidValue("the path contains a NUL character") }
        guard !text.hasSuffix("/") else { throw InvalidValue("\"\(text)\" names a directory, not a file") }
        return paths.resolve(text)
    }

    /// Who holds an admin role: `uid:N`, `gid:N`, `user:NAME` or `group:NAME` (names are looked up at start).
    static func principals(_ items: [String]) throws(InvalidValue) -> [String] {
        for (index, item) in items.enumerated() {
            let parts = item.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, ["uid", "gid", "user", "group"].contains(String(parts[0])), !parts[1].isEmpty
            else {
                throw InvalidValue("item \(index + 1): \"\(item)\" is not uid:N, gid:N, user:NAME or group:NAME")
            }
            if parts[0] == "uid" || parts[0] == "gid" {
                guard UInt32(parts[1]) != nil else {
                    throw InvalidValue("item \(index + 1): \"\(item)\" needs a number after \(parts[0]):")
                }
            }
        }
        return items
    }
}
