import Testing

@testable import SIP

@Suite struct SIPStreamFramerTests {
    static let messages = [RealPeerFixtures.register, RealPeerFixtures.invite, RealPeerFixtures.okWithRecordRoute]

    /// Every split of a message into two reads gives the message once, after the second read.
    @Test(arguments: messages)
    func everySplitIntoTwoReads(_ bytes: [UInt8]) {
        for split in 0...bytes.count {
            var framer = SIPStreamFramer()
            let first = framer.feed(Array(bytes[0..<split]))
            let second = framer.feed(Array(bytes[split...]))
            #expect(first.isEmpty || split == bytes.count, "split at \(split)")
            #expect(first + second == [.message(bytes)], "split at \(split)")
            #expect(framer.bufferedByteCount == 0)
        }
    }

    @Test func manyMessagesPipelinedInOneRead() throws {
        var stream: [UInt8] = []
        var expected: [SIPFrame] = []
        for index in 0..<50 {
            let message = Self.messages[index % 3]
            stream += message
            expected.append(.message(message))
        }
        var framer = SIPStreamFramer()
        let frames = framer.feed(stream)
        #expect(frames == expected)
        for case .message(let bytes) in frames { #expect(throws: Never.self) { try SIPMessage(parsing: bytes) } }
    }

    @Test func pipelinedMessagesLargerThanTheLimitInOneRead() {
        // 20 INVITEs in one read: more than a 4 KiB buffer could hold, yet every message fits on its own.
        let stream = Array(repeating: RealPeerFixtures.invite, count: 20).flatMap { $0 }
        var framer = SIPStreamFramer(limits: SIPLimits(maxMessageSize: 4_096))
        let frames = framer.feed(stream)
        #expect(frames.count == 20 && frames.allSatisfy { $0 == .message(RealPeerFixtures.invite) })
    }

    @Test func doubleCRLFIsAPingAndSingleCRLFAPong() {
        var framer = SIPStreamFramer()
        #expect(framer.feed([13, 10, 13, 10]) == [.keepAlivePing])
        #expect(SIPStreamFramer.pong == [13, 10])
        #expect(framer.feed([13, 10]) == [.keepAlivePong])
        // Leading CRLFs before a message are keep-alives, never part of the message (RFC 3261 §7.5).
        let frames = framer.feed([13, 10, 13, 10, 13, 10] + RealPeerFixtures.register)
        #expect(frames == [.keepAlivePing, .keepAlivePong, .message(RealPeerFixtures.register)])
        // A ping that arrives one byte at a time.
        #expect(framer.feed([13]).isEmpty && framer.feed([10, 13]).isEmpty)
        #expect(framer.feed([10]) == [.keepAlivePing])
    }

    @Test func missingContentLengthClosesTheStream() {
        var framer = SIPStreamFramer()
        let frames = framer.feed(options(edit: remove("Content-Length")))
        guard case .fatal(let error)? = frames.last else {
            Issue.record("expected a fatal frame, got \(frames)")
            return
        }
        #expect(error.code == .missingContentLength)
        // Once failed, the framer only repeats its error.
        #expect(framer.feed(RealPeerFixtures.register) == [.fatal(error)])
        #expect(framer.failure?.code == .missingContentLength)
    }

    static let fatalStreams: [(String, [UInt8], SIPError.Code)] = [
        ("garbage start", [0x16, 0x03, 0x01, 0x02, 0x00], .framingLost),
        ("a start line that is no start line", raw("HELLO WORLD\r\n\r\n"), .framingLost),
        ("a CR that is not CRLF", [13, 65], .framingLost),
        ("two Content-Length headers", options(edit: { $0.insert("l: 0", at: 0) }), .framingLost),
        (
            "a negative Content-Length", options(edit: replace("Content-Length", with: "Content-Length: -1")),
            .framingLost
        ),
        (
            "an overflowing Content-Length", options(edit: replace("Content-Length", with: "l: 99999999999999999999")),
            .bodyTooLarge
        ),
        (
            "a body over the limit", options(edit: replace("Content-Length", with: "Content-Length: 70000")),
            .bodyTooLarge
        ),
        ("a start line over the line limit", raw("OPTIONS sip:" + String(repeating: "a", count: 9_000)), .lineTooLong),
        (
            "a header section over the message limit",
            raw("OPTIONS sip:a SIP/2.0\r\n") + Array(repeating: 0x61, count: 70_000), .messageTooLarge
        ),
    ]

    @Test(arguments: fatalStreams)
    func unframeableStreamsAreFatal(_ name: String, _ bytes: [UInt8], _ code: SIPError.Code) {
        var framer = SIPStreamFramer()
        let frames = framer.feed(bytes)
        guard case .fatal(let error)? = frames.last else {
            Issue.record("\(name): expected a fatal frame, got \(frames)")
            return
        }
        #expect(error.code == code, "\(name): \(error)")
        #expect(framer.bufferedByteCount <= framer.limits.maxMessageSize)
    }

    @Test func neverBuffersMoreThanTheLimit() {
        var framer = SIPStreamFramer(limits: SIPLimits(maxMessageSize: 1_024))
        let header = raw("OPTIONS sip:a SIP/2.0\r\nX: ")
        var frames = framer.feed(header)
        for _ in 0..<100 where frames.isEmpty {
            frames = framer.feed(Array(repeating: 0x62, count: 100))
            #expect(framer.bufferedByteCount <= 1_024)
        }
        #expect(frames.last == .fatal(SIPError(.messageTooLarge, "", offset: 0, expected: "")))
    }

    @Test func aFramedMessageThatDoesNotParseLeavesTheStreamUsable() throws {
        let bad = options(edit: replace("CSeq", with: "CSeq: 1 INVITE"))
        var framer = SIPStreamFramer()
        let frames = framer.feed(bad + RealPeerFixtures.register)
        #expect(frames == [.message(bad), .message(RealPeerFixtures.register)])
        let error = try #require(#expect(throws: SIPError.self) { try SIPMessage(parsing: bad) })
        #expect(error.code == .methodMismatch)
    }

    @Test func truncatedStreamsNeverEmitAndNeverCrash() {
        let bytes = RealPeerFixtures.invite
        for length in 0..<bytes.count {
            var framer = SIPStreamFramer()
            let frames = framer.feed(Array(bytes[0..<length]))
            #expect(frames.isEmpty, "cut at \(length)")
            #expect(framer.bufferedByteCount == length)
        }
    }

    @Test func errorOffsetsCountFromTheStreamStart() {
        var framer = SIPStreamFramer()
        let good = RealPeerFixtures.register
        let frames = framer.feed(good + [13, 10] + [0x00])
        guard case .fatal(let error)? = frames.last else {
            Issue.record("expected a fatal frame")
            return
        }
        #expect(error.offset == good.count + 2)
    }
}
