/// The line scanner and order checker behind both `SDPSessionDescription.init(parsing:limits:)` initialisers.
///
/// One pass over the bytes: each line is cut at its LF (a CR before it belongs to the ending), checked for
/// shape (`<letter>=`), for its place in the RFC 4566 §5 order, and, for the fields the relay reads (`v=`, `o=`,
/// `c=`, `b=`, `t=`, `m=`, `a=` names), for syntax. Attribute values are not checked here: an odd attribute is
/// kept and its view returns nil, as phones send many.
struct SDPParser {
    let input: UnsafeBufferPointer<UInt8>
    let limits: SDPLimits
    let checkEncoding: Bool

    private var sessionLines: [SDPLine] = []
    private var media: [SDPMediaDescription] = []
    private var mediaOffsets: [(offset: Int, line: Int)] = []
    private var defaultEnding: SDPLine.Ending = .crlf
    /// The rank of the last session line (see ``sessionRank(_:)``), -1 before `v=`.
    private var sessionRank = -1
    /// The rank of the last line of the current media section (see ``mediaRank(_:)``).
    private var mediaRank = 0
    private var sessionHasConnection = false
    private var mediaHasConnection: [Bool] = []

    init(_ input: UnsafeBufferPointer<UInt8>, limits: SDPLimits, checkEncoding: Bool) {
        self.input = input
        self.limits = limits
        self.checkEncoding = checkEncoding
    }

    /// RFC 4566 §5: "v= o= s= i=* u=* e=* p=* c=* b=* (t= r=*)+ z=* k=* a=*" then the media sections.
    private static func sessionRank(_ type: UInt8) -> Int? {
        switch type {
        case UInt8(ascii: "v"): 0
        case UInt8(ascii: "o"): 1
        case UInt8(ascii: "s"): 2
        case UInt8(ascii: "i"): 3
        case UInt8(ascii: "u"): 4
        case UInt8(ascii: "e"): 5
        case UInt8(ascii: "p"): 6
        case UInt8(ascii: "c"): 7
        case UInt8(ascii: "b"): 8
        case UInt8(ascii: "t"): 9
        case UInt8(ascii: "r"): 10
        case UInt8(ascii: "z"): 11
        case UInt8(ascii: "k"): 12
        case UInt8(ascii: "a"): 13
        default: nil
        }
    }

    /// RFC 4566 §5: "m= i=* c=* b=* k=* a=*" in each media section.
    private static func mediaRank(_ type: UInt8) -> Int? {
        switch type {
        case UInt8(ascii: "m"): 0
        case UInt8(ascii: "i"): 1
        case UInt8(ascii: "c"): 2
        case UInt8(ascii: "b"): 3
        case UInt8(ascii: "k"): 4
        case UInt8(ascii: "a"): 5
        default: nil
        }
    }

    /// Lines that may repeat: in the session part e=, p=, b=, t=, r= and a=; in a media section c=, b=, a=.
    private static func repeats(_ type: UInt8, inMedia: Bool) -> Bool {
        (inMedia ? "cba" : "epbtra").utf8.contains(type)
    }

    mutating func parse() throws(SDPError) -> SDPSessionDescription {
        guard input.count <= limits.maximumSize else {
            throw SDPError(
                .tooLarge, "the description is over \(limits.maximumSize) bytes",
                offset: limits.maximumSize, expected: "at most \(limits.maximumSize) bytes")
        }
        if checkEncoding, let bad = SDPText.firstInvalidUTF8(input) {
            throw SDPError(
                .invalidEncoding, "the description is not UTF-8", offset: bad,
                expected: "UTF-8 text (RFC 4566 §5)")
        }
        // Blank lines and whitespace after the last line are kept as the trailer, not parsed.
        var contentEnd = input.count
        while contentEnd > 0, [SDPText.space, SDPText.tab, SDPText.cr, SDPText.lf].contains(input[contentEnd - 1]) {
            contentEnd -= 1
        }
        var start = 0
        var lineNumber = 0
        while start < contentEnd {
            lineNumber += 1
            guard lineNumber <= limits.maximumLines else {
                throw SDPError(
                    .tooManyLines, "the description has over \(limits.maximumLines) lines",
                    offset: start, line: lineNumber, expected: "at most \(limits.maximumLines) lines")
            }
            var end = start
            while end < input.count, input[end] != SDPText.lf { end += 1 }
            var textEnd = end
            var ending = SDPLine.Ending.none
            if end < input.count {
                if textEnd > start, input[textEnd - 1] == SDPText.cr {
                    textEnd -= 1
                    ending = .crlf
                } else {
                    ending = .lf
                }
            }
            try addLine(start: start, end: textEnd, ending: ending, number: lineNumber)
            start = end < input.count ? end + 1 : input.count
        }
        try finish(at: contentEnd, lineNumber: lineNumber)
        let trailer = String(decoding: UnsafeBufferPointer(rebasing: input[start...]), as: UTF8.self)
        return SDPSessionDescription(sessionLines: sessionLines, media: media, trailer: trailer)
    }

    private mutating func addLine(start: Int, end: Int, ending: SDPLine.Ending, number: Int) throws(SDPError) {
        for index in start..<end where input[index] == 0 || input[index] == SDPText.cr {
            throw SDPError(
                .invalidEncoding, "a line holds a NUL, or a CR that is not followed by LF",
                offset: index, line: number, expected: "text without NUL, and CR only before LF (RFC 4566 §5)")
        }
        let type = input[start]
        guard end - start >= 2, input[start + 1] == UInt8(ascii: "="),
            type >= UInt8(ascii: "a"), type <= UInt8(ascii: "z")
        else {
            let offset = end - start >= 1 && type >= UInt8(ascii: "a") && type <= UInt8(ascii: "z") ? start + 1 : start
            throw SDPError(
                .malformedLine, "a line is <type>=<value> with one lower-case letter as type",
                offset: offset, line: number, expected: "<type>=<value>")
        }
        guard Self.sessionRank(type) != nil || type == UInt8(ascii: "m") else {
            throw SDPError(
                .unknownType, "\"\(Character(Unicode.Scalar(type)))=\" is not an RFC 4566 line type",
                offset: start, line: number, expected: "one of v o s i u e p c b t r z k a m")
        }
        if number == 1 { defaultEnding = ending == .none ? .crlf : ending }
        try checkOrder(type, offset: start, line: number)
        let text = String(decoding: UnsafeBufferPointer(rebasing: input[start..<end]), as: UTF8.self)
        let line = SDPLine(verbatim: text, ending: ending)
        let valueOffset = start + 2
        do {
            try checkField(type, line)
        } catch {
            throw error.located(at: valueOffset, line: number)
        }
        if type == UInt8(ascii: "m") {
            guard media.count < limits.maximumMediaDescriptions else {
                throw SDPError(
                    .tooManyMediaDescriptions,
                    "the description has over "
                        + "\(limits.maximumMediaDescriptions) media sections", offset: start, line: number,
                    expected: "at most \(limits.maximumMediaDescriptions) m= lines")
            }
            let field = try checkedMediaField(line, offset: valueOffset, number: number)
            media.append(SDPMediaDescription(mLine: line, field: field, defaultEnding: defaultEnding))
            mediaOffsets.append((start, number))
            mediaHasConnection.append(false)
        } else if media.isEmpty {
            if type == UInt8(ascii: "c") { sessionHasConnection = true }
            sessionLines.append(line)
        } else {
            if type == UInt8(ascii: "c") { mediaHasConnection[media.count - 1] = true }
            media[media.count - 1].lines.append(line)
        }
    }

    private func checkedMediaField(_ line: SDPLine, offset: Int, number: Int) throws(SDPError) -> SDPMediaField {
        do {
            return try SDPMediaField(checking: line.value)
        } catch {
            throw error.located(at: offset, line: number)
        }
    }

    /// RFC 4566 §5: the order is fixed, and "v=", "o=" and "s=" open every description.
    private mutating func checkOrder(_ type: UInt8, offset: Int, line: Int) throws(SDPError) {
        let name = "\"\(Character(Unicode.Scalar(type)))=\""
        let opening: [UInt8] = [UInt8(ascii: "v"), UInt8(ascii: "o"), UInt8(ascii: "s")]
        if line <= 3 {
            let wanted = opening[line - 1]
            guard type == wanted else {
                let wantedName = "\"\(Character(Unicode.Scalar(wanted)))=\""
                throw SDPError(
                    .missingLine, "a description opens with v=, o= and s=, line \(line) is \(name)",
                    offset: offset, line: line, expected: wantedName)
            }
            sessionRank = line - 1
            return
        }
        if type == UInt8(ascii: "m") {
            guard sessionRank >= 9 else {
                throw SDPError(
                    .missingLine, "the session part needs a t= line before the first m=",
                    offset: offset, line: line, expected: "\"t=\"")
            }
            mediaRank = 0
            return
        }
        if !media.isEmpty {
            guard let rank = Self.mediaRank(type) else {
                throw SDPError(
                    .outOfOrder, "a \(name) line belongs in the session part, before the first m=",
                    offset: offset, line: line, expected: "one of i= c= b= k= a= m= in a media section")
            }
            guard rank > mediaRank || (rank == mediaRank && Self.repeats(type, inMedia: true)) else {
                throw SDPError(
                    .outOfOrder, "a \(name) line is out of order in a media section",
                    offset: offset, line: line, expected: "the RFC 4566 §5 order m= i= c= b= k= a=")
            }
            mediaRank = rank
            return
        }
        guard let rank = Self.sessionRank(type) else {
            throw SDPError(
                .outOfOrder, "a \(name) line cannot be in the session part", offset: offset, line: line,
                expected: "a session-level line")
        }
        let afterTiming = sessionRank == 9 || sessionRank == 10
        let allowed: Bool
        switch type {
        case UInt8(ascii: "r"): allowed = afterTiming
        case UInt8(ascii: "t"): allowed = rank > sessionRank || afterTiming
        default: allowed = rank > sessionRank || (rank == sessionRank && Self.repeats(type, inMedia: false))
        }
        guard allowed else {
            throw SDPError(
                .outOfOrder, "a \(name) line is out of order in the session part", offset: offset,
                line: line, expected: "the RFC 4566 §5 order v= o= s= i= u= e= p= c= b= t= r= z= k= a= m=")
        }
        sessionRank = rank
    }

    /// Checks the syntax of the fields the relay reads; errors are relative to the value (after `<type>=`).
    private func checkField(_ type: UInt8, _ line: SDPLine) throws(SDPError) {
        let value = line.value
        switch type {
        case UInt8(ascii: "v"):
            // RFC 4566 §5.1: "v=0".
            guard value == "0" else {
                throw SDPError(.invalidVersion, "the protocol version is 0", offset: 0, expected: "\"0\"")
            }
        case UInt8(ascii: "o"): _ = try SDPOrigin(checking: value)
        case UInt8(ascii: "c"): _ = try SDPConnection(checking: value)
        case UInt8(ascii: "b"): _ = try SDPBandwidth(checking: value)
        case UInt8(ascii: "t"):
            // RFC 4566 §5.9: "t=<start-time> <stop-time>", NTP seconds, 0 for unbounded.
            let fields = SDPText.fields(value)
            guard fields.count == 2, fields.allSatisfy({ SDPText.isDigits($0) }) else {
                throw SDPError(
                    .invalidTiming, "a t= line is two decimal times", offset: 0,
                    expected: "<start-time> <stop-time>")
            }
        case UInt8(ascii: "a"):
            // RFC 4566 §5.13: "a=<attribute>" or "a=<attribute>:<value>", the name a token.
            let name = line.attribute?.name ?? ""
            guard SDPText.isToken(name) else {
                throw SDPError(
                    .invalidAttribute, "an a= line needs an attribute name without whitespace",
                    offset: 0, expected: "<attribute>[:<value>]")
            }
        default: break
        }
    }

    /// RFC 4566 §5.7: a "c=" in the session part, or one in every media section (Sotto lets a rejected, port 0,
    /// section go without, as some phones send it so).
    private func finish(at end: Int, lineNumber: Int) throws(SDPError) {
        guard lineNumber >= 3 else {
            let expected = lineNumber == 0 ? "\"v=\"" : lineNumber == 1 ? "\"o=\"" : "\"s=\""
            throw SDPError(
                .missingLine, "a description opens with v=, o= and s=", offset: end,
                line: lineNumber + 1, expected: expected)
        }
        guard sessionRank >= 9 || !media.isEmpty else {
            throw SDPError(
                .missingLine, "the session part needs a t= line", offset: end, line: lineNumber + 1,
                expected: "\"t=\"")
        }
        guard !sessionHasConnection else { return }
        for (index, section) in media.enumerated() where !mediaHasConnection[index] && !section.isRejected {
            throw SDPError(
                .missingConnection, "media section \(index + 1) has no c= line and the session has none",
                offset: mediaOffsets[index].offset, line: mediaOffsets[index].line,
                expected: "a \"c=\" line in the session part or in this media section")
        }
    }
}
