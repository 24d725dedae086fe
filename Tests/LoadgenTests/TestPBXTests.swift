import Foundation
import RTPWire
import SRTP
import Testing
import Transport

@testable import sotto_loadgen

/// The test PBX (`sotto-loadgen pbx`) without sockets for signalling: which extension answers, what an offer is
/// answered with, and the echo's packet path over real libsrtp2 contexts.
@Suite struct TestPBXTests {
    static func offer(
        proto: String = "RTP/SAVP", formats: String = "0 8 101", maps: [String] = ["0 PCMU/8000", "8 PCMA/8000"],
        crypto: Bool = true, rtcpMux: Bool = true, key: SRTPKeyMaterial? = nil
    ) throws -> [UInt8] {
        let key = try key ?? SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        var lines = [
            "v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1", "t=0 0",
            "m=audio 20000 \(proto) \(formats)",
        ]
        lines += maps.map { "a=rtpmap:\($0)" } + ["a=rtpmap:101 telephone-event/8000", "a=ptime:20"]
        if rtcpMux { lines.append("a=rtcp-mux") }
        if crypto { lines.append("a=crypto:3 \(key.profile.rawValue) \(key.sdesKeyParameter)") }
        return Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    static func plan(_ decision: TestPBXDecision) -> TestPBXAnswerPlan? {
        if case .answer(let plan) = decision { return plan }
        return nil
    }

    static func status(_ decision: TestPBXDecision) -> Int? {
        if case .refuse(let status, _, _) = decision { return status }
        return nil
    }

    @Test func extensionsRouteByUserPart() {
        let extensions = TestPBXExtensions()
        #expect(extensions.service(for: "echo") == .echo)
        #expect(extensions.service(for: "600") == .echo)
        #expect(extensions.service(for: "ECHO") == .echo)
        #expect(extensions.service(for: "tone") == .tone)
        #expect(extensions.service(for: "601") == .tone)
        #expect(extensions.service(for: "602") == nil)
        #expect(extensions.service(for: nil) == nil)
        #expect(extensions.service(for: "") == nil)
    }

    @Test func unknownExtensionGets404() throws {
        let decision = TestPBXPlan.decide(user: "nobody", offer: try Self.offer(), extensions: TestPBXExtensions())
        #expect(Self.status(decision) == 404)
    }

    @Test(arguments: [("RTP/AVP", true), ("RTP/SAVP", false)])
    func onlySRTPOffersAreAnswered(proto: String, crypto: Bool) throws {
        let body = try Self.offer(proto: proto, crypto: crypto)
        for user in ["echo", "tone"] {
            let decision = TestPBXPlan.decide(user: user, offer: body, extensions: TestPBXExtensions())
            #expect(Self.status(decision) == 488, "\(user), \(proto), crypto \(crypto)")
        }
    }

    @Test func echoTakesTheFirstVoiceCodecAndTheOfferersKey() throws {
        let key = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let body = try Self.offer(formats: "101 9 0", maps: ["9 G722/8000", "0 PCMU/8000"], key: key)
        let plan = try #require(Self.plan(TestPBXPlan.decide(user: "600", offer: body, extensions: .init())))
        #expect(plan.service == .echo)
        #expect(plan.codec.name == "G722")  // echoed untouched, so any voice codec will do; never telephone-event
        #expect(plan.codec.payloadType == 9)
        #expect(plan.toneCodec == nil)
        #expect(plan.cryptoTag == 3)
        #expect(plan.offererKey == key)
        #expect(plan.destination.ip == "127.0.0.1" && plan.destination.port == 20000)
    }

    @Test func toneTakesTheFirstCodecItCanEncode() throws {
        let body = try Self.offer(formats: "9 8 0", maps: ["9 G722/8000", "8 PCMA/8000", "0 PCMU/8000"])
        let plan = try #require(Self.plan(TestPBXPlan.decide(user: "tone", offer: body, extensions: .init())))
        #expect(plan.codec.name == "PCMA")
        #expect(plan.toneCodec == .pcma)
        let opus = try Self.offer(formats: "116 0", maps: ["116 opus/48000/2", "0 PCMU/8000"])
        let opusPlan = try #require(Self.plan(TestPBXPlan.decide(user: "tone", offer: opus, extensions: .init())))
        #expect(opusPlan.toneCodec == .opus)
        #expect(opusPlan.codec.rtpmap == "116 opus/48000/2")
        let g722Only = try Self.offer(formats: "9", maps: ["9 G722/8000"])
        #expect(Self.status(TestPBXPlan.decide(user: "tone", offer: g722Only, extensions: .init())) == 488)
    }

    @Test func answerIsSRTPWithThePBXsOwnKey() throws {
        let body = try Self.offer(rtcpMux: false)
        let plan = try #require(Self.plan(TestPBXPlan.decide(user: "echo", offer: body, extensions: .init())))
        let own = try SRTPKeyMaterial.generate(for: plan.offererKey.profile)
        let answer = TestPBXPlan.answerSDP(plan: plan, ip: "127.0.0.2", port: 40000, ownKey: own)
        #expect(answer.contains("m=audio 40000 RTP/SAVP 0\r\n"))
        #expect(answer.contains("a=crypto:3 AES_CM_128_HMAC_SHA1_80 \(own.sdesKeyParameter)\r\n"))
        #expect(!answer.contains(plan.offererKey.sdesKeyParameter))
        #expect(!answer.contains("rtcp-mux"))
        let target = try #require(SIPText.mediaTarget(Array(answer.utf8)))
        #expect(target.keys.first?.key == own)
    }

    // MARK: The echo's packet path

    /// A call as the media loop holds it, with the offerer's key `callerKey`.
    static func call(_ service: TestPBXService, callerKey: SRTPKeyMaterial, ownKey: SRTPKeyMaterial) throws
        -> TestPBXCallMedia
    {
        let body = try Self.offer(key: callerKey)
        let plan = try #require(
            Self.plan(TestPBXPlan.decide(user: service.rawValue, offer: body, extensions: TestPBXExtensions())))
        let socket = try UDPSocket(binding: try #require(UDPAddress(ip: "127.0.0.1", port: 0)))
        let tone = try plan.toneCodec.map { try ToneFrames.make(codec: $0, ptimeMilliseconds: 20) }
        return try TestPBXCallMedia(
            callID: "c1", plan: plan, socket: socket, ownKey: ownKey,
            destination: try #require(UDPAddress(ip: "127.0.0.1", port: 20000)), tone: tone)
    }

    /// An SRTP packet as the relay would send it: PCMU, `sequence`, 160 bytes of payload.
    static func packet(
        _ sender: SRTPContext, sequence: UInt16, into buffer: UnsafeMutableRawBufferPointer, payloadType: UInt8 = 0
    ) throws -> Int {
        let fields = RTPHeaderFields(
            payloadType: payloadType, sequenceNumber: sequence, timestamp: UInt32(sequence) * 160, ssrc: 0x1234_5678)
        let header = try #require(RTPHeader.write(fields, into: buffer).value)
        for index in 0..<160 { buffer[header + index] = UInt8(truncatingIfNeeded: index &+ Int(sequence)) }
        guard case .ok(let length) = sender.protectRTP(buffer, length: header + 160) else {
            Issue.record("protect failed")
            return 0
        }
        return length
    }

    @Test func echoSendsTheSamePayloadBackUnderItsOwnKeyAndSSRC() throws {
        _ = try SRTPLibrary.start()
        let callerKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let ownKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let call = try Self.call(.echo, callerKey: callerKey, ownKey: ownKey)
        defer { call.socket.close() }
        let relaySends = try SRTPContext(key: callerKey, direction: .outbound)
        let relayReceives = try SRTPContext(key: ownKey, direction: .inbound)
        let relayWithCallerKey = try SRTPContext(key: callerKey, direction: .inbound)
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1600, alignment: 8)
        defer { buffer.deallocate() }
        for sequence: UInt16 in [1000, 1001, 1003] {
            let length = try Self.packet(relaySends, sequence: sequence, into: buffer)
            guard case .echo(let echoed) = call.echo(buffer, length: length) else {
                Issue.record("packet \(sequence) was not echoed")
                continue
            }
            // The PBX's key opens it; the caller's key does not (a fresh key per direction, re-encrypted).
            var copy = Array(UnsafeRawBufferPointer(rebasing: buffer[..<echoed]))
            let refused = copy.withUnsafeMutableBytes { relayWithCallerKey.unprotectRTP($0, length: echoed) }
            if case .ok = refused { Issue.record("the echo went back under the caller's key") }
            guard case .ok(let plain) = relayReceives.unprotectRTP(buffer, length: echoed) else {
                Issue.record("the echo of \(sequence) does not authenticate under the PBX's key")
                continue
            }
            let header = try #require(RTPHeader.parse(UnsafeRawBufferPointer(rebasing: buffer[..<plain])).value)
            #expect(header.sequenceNumber == sequence)
            #expect(header.timestamp == UInt32(sequence) * 160)
            #expect(header.ssrc == call.ssrc)
            #expect(header.ssrc != 0x1234_5678)
            #expect(Array(header.payload) == (0..<160).map { UInt8(truncatingIfNeeded: $0 &+ Int(sequence)) })
        }
    }

    @Test func forgedOrForeignPacketsAreNotEchoed() throws {
        _ = try SRTPLibrary.start()
        let callerKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let call = try Self.call(
            .echo, callerKey: callerKey, ownKey: try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80))
        defer { call.socket.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1600, alignment: 8)
        defer { buffer.deallocate() }
        // One bit flipped in the payload: the tag no longer matches.
        var length = try Self.packet(try SRTPContext(key: callerKey, direction: .outbound), sequence: 5, into: buffer)
        buffer[20] ^= 1
        #expect(call.echo(buffer, length: length) == .dropped)
        // Another key altogether (someone else's packets).
        let stranger = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        length = try Self.packet(try SRTPContext(key: stranger, direction: .outbound), sequence: 6, into: buffer)
        #expect(call.echo(buffer, length: length) == .dropped)
        // Authentic, but telephone-event (not the answered codec): not echoed.
        length = try Self.packet(
            try SRTPContext(key: callerKey, direction: .outbound), sequence: 7, into: buffer, payloadType: 101)
        #expect(call.echo(buffer, length: length) == .skipped)
    }

    @Test func toneCallListensOnlyAndSendsTheTone() throws {
        _ = try SRTPLibrary.start()
        let callerKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let ownKey = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let call = try Self.call(.tone, callerKey: callerKey, ownKey: ownKey)
        defer { call.socket.close() }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 1600, alignment: 8)
        defer { buffer.deallocate() }
        let length = try Self.packet(try SRTPContext(key: callerKey, direction: .outbound), sequence: 9, into: buffer)
        #expect(call.echo(buffer, length: length) == .skipped)
        let relay = try SRTPContext(key: ownKey, direction: .inbound)
        let frames = try ToneFrames.make(codec: .pcmu, ptimeMilliseconds: 20)
        var previous: RTPHeaderFields?
        for index in 0..<3 {
            let sent = try #require(call.nextTonePacket(into: buffer))
            guard case .ok(let plain) = relay.unprotectRTP(buffer, length: sent) else {
                Issue.record("tone packet \(index) does not authenticate")
                continue
            }
            let header = try #require(RTPHeader.parse(UnsafeRawBufferPointer(rebasing: buffer[..<plain])).value)
            #expect(Array(header.payload) == frames.frames[index])
            #expect(header.payloadType == 0)
            if let previous {
                #expect(header.sequenceNumber == previous.sequenceNumber &+ 1)
                #expect(header.timestamp == previous.timestamp &+ 160)
            }
            previous = header.fields
        }
    }

    @Test func aLawMatchesG711Reference() {
        // ITU-T G.711 A-law: 0 → 0xD5, the largest positive → 0xAA, the largest negative → 0x2A.
        #expect(ToneFrames.aLaw(0) == 0xD5)
        #expect(ToneFrames.aLaw(-1) == 0x55)
        #expect(ToneFrames.aLaw(Int16.max) == 0xAA)
        #expect(ToneFrames.aLaw(Int16.min) == 0x2A)
        #expect(ToneFrames.aLaw(1024) == 0xE5)
    }
}
