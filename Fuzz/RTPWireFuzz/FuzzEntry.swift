// libFuzzer target for RTPWire: every input is classified and parsed as RTP (both padding
// policies), as an RTCP compound packet and as an RFC 4733 event; every view is walked to its last octet, and
// what parses is written back and must parse to the same fields. Invariants are `precondition`s over values
// computed beforehand: `-Ounchecked` would drop a side effect inside one.

import RTPWire

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeRawBufferPointer(start: data, count: size)
    checkClassification(bytes)
    checkRTP(bytes, padding: .validate)
    checkRTP(bytes, padding: .opaque)
    checkMutableRTP(bytes)
    checkRTCP(bytes)
    checkTelephoneEvent(bytes)
    checkSequenceArithmetic(bytes)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("RTPWireFuzz_main")  // SwiftPM links executables with --defsym main=<target>_main
public func rtpWireFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOne($0, $1) }
}

/// Where ``touch(_:)`` leaves its sums, so that the optimiser cannot drop the reads. One fuzzing thread only.
nonisolated(unsafe) var sink = 0

/// Reads every octet of `bytes` so that AddressSanitizer sees any view that points outside the input.
func touch(_ bytes: UnsafeRawBufferPointer) {
    var sum = 0
    for byte in bytes { sum &+= Int(byte) }
    sink &+= sum
}

func checkClassification(_ bytes: UnsafeRawBufferPointer) {
    let kind = PacketKind.classify(bytes)
    let first = bytes.first.map(Int.init) ?? -1
    let rtcpOctet = bytes.count >= 2 && (192...223).contains(bytes[1])
    switch kind {
    case .rtp: precondition((128...191).contains(first) && !rtcpOctet)
    case .rtcp: precondition((128...191).contains(first) && rtcpOctet)
    case .stun: precondition((0...3).contains(first))
    case .zrtp: precondition((16...19).contains(first))
    case .dtls: precondition((20...63).contains(first))
    case .turnChannel: precondition((64...79).contains(first))
    case .unknown:
        let named = (0...3).contains(first) || (16...79).contains(first)
        precondition(!named && (!(128...191).contains(first) || bytes.count < 2))
    }
}

func checkRTP(_ bytes: UnsafeRawBufferPointer, padding: RTPHeader.PaddingPolicy) {
    guard case .ok(let header) = RTPHeader.parse(bytes, padding: padding) else { return }
    let size = bytes.count
    let csrcEnd = RTPHeader.fixedLength + header.csrcCount * 4
    precondition(header.version == 2)
    precondition(csrcEnd <= header.headerLength && header.headerLength <= size)
    precondition(header.payloadRange.lowerBound == header.headerLength)
    precondition(header.payloadRange.upperBound <= size)
    precondition(header.payloadRange.upperBound + header.paddingLength == size)
    if padding == .opaque || !header.hasPadding {
        precondition(header.paddingLength == 0)
    } else {
        let countOctet = Int(bytes[size - 1])
        precondition(header.paddingLength >= 1 && header.paddingLength == countOctet)
    }
    var csrcSum: UInt32 = 0
    for csrc in header.csrcs { csrcSum &+= csrc }
    touch(header.payload)
    sink &+= Int(csrcSum)

    if let ext = header.headerExtension {
        precondition(header.hasExtension && ext.offset == csrcEnd)
        precondition(ext.bodyRange.lowerBound == csrcEnd + 4 && ext.bodyRange.upperBound == header.headerLength)
        touch(ext.body)
        if let elements = ext.elements {
            checkElements(elements, body: ext.bodyRange, form: ext.form)
        }
    } else {
        precondition(!header.hasExtension && header.headerLength == csrcEnd)
    }
    checkRTPRewrite(header)
}

/// Walks RFC 8285 elements, then writes them again with the element writer and checks they read back the same.
func checkElements(_ elements: RTPHeaderExtensionElementIterator, body: Range<Int>, form: RTPHeaderExtension.Form) {
    var walk = elements
    var previousEnd = body.lowerBound
    var verdicts = 0
    while let step = walk.next() {
        switch step {
        case .ok(let element):
            precondition(element.dataRange.lowerBound > previousEnd)
            precondition(element.dataRange.upperBound <= body.upperBound)
            precondition(element.data.count == element.dataRange.count && element.id != 0)
            touch(element.data)
            previousEnd = element.dataRange.upperBound
        case .malformed(let verdict):
            precondition(verdict == .extensionElementOverrun)
            verdicts += 1
        }
    }
    precondition(verdicts <= 1)
    let afterEnd = walk.next()
    precondition(afterEnd == nil)

    // Write the same elements with the writer into a body no longer than the original one.
    withUnsafeTemporaryAllocation(byteCount: max(body.count, 1), alignment: 1) { scratch in
        let target = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<body.count])
        var writer: RTPHeaderExtensionWriter
        if case .twoByte(let appBits) = form {
            writer = .twoByte(appBits: appBits, into: target)
        } else {
            writer = .oneByte(into: target)
        }
        for step in elements {
            guard case .ok(let element) = step else { break }
            let appended = writer.append(id: element.id, data: element.data)
            precondition(appended.value != nil)
        }
        let finished = writer.finish()
        precondition(finished.value != nil)
        checkRewrittenElements(original: elements, profile: writer.profile, body: writer.body)
    }
}

func checkRewrittenElements(
    original: RTPHeaderExtensionElementIterator,
    profile: UInt16,
    body: UnsafeRawBufferPointer
) {
    let fields = RTPHeaderFields(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0)
    withUnsafeTemporaryAllocation(byteCount: 16 + body.count, alignment: 1) { packet in
        let written = RTPHeader.write(
            fields,
            csrcs: EmptyCollection(),
            extensionProfile: profile,
            extensionBody: body,
            into: packet
        )
        precondition(written.value == packet.count)
        let parsed = RTPHeader.parse(UnsafeRawBufferPointer(packet))
        guard case .ok(let header) = parsed, let rewritten = header.headerExtension?.elements else {
            preconditionFailure("a written extension must parse")
        }
        var theirs = rewritten
        for step in original {
            guard case .ok(let element) = step else { break }
            guard case .ok(let again)? = theirs.next() else { preconditionFailure("element lost in the rewrite") }
            precondition(again.id == element.id && again.data.elementsEqual(element.data))
        }
        let extra = theirs.next()
        precondition(extra == nil, "the rewrite has more elements than the original")
    }
}

/// Writes a parsed header again: the octets must be identical and parse back to the same fields.
func checkRTPRewrite(_ header: RTPHeader) {
    withUnsafeTemporaryAllocation(byteCount: header.headerLength, alignment: 1) { out in
        let written: RTPWireResult<Int>
        if let ext = header.headerExtension {
            written = RTPHeader.write(
                header.fields,
                csrcs: header.csrcs,
                extensionProfile: ext.profile,
                extensionBody: ext.body,
                into: out
            )
        } else {
            written = RTPHeader.write(header.fields, csrcs: header.csrcs, into: out)
        }
        precondition(written.value == header.headerLength)
        let original = UnsafeRawBufferPointer(rebasing: header.bytes[0..<header.headerLength])
        precondition(UnsafeRawBufferPointer(out).elementsEqual(original))
        // The header alone has no payload, so its padding cannot be validated: read it as SRTP would.
        guard case .ok(let again) = RTPHeader.parse(UnsafeRawBufferPointer(out), padding: .opaque) else {
            preconditionFailure("a written header must parse")
        }
        precondition(again.fields == header.fields && again.headerLength == header.headerLength)
        precondition(again.csrcs.elementsEqual(header.csrcs))
        precondition(again.headerExtension?.profile == header.headerExtension?.profile)
        precondition(again.headerExtension?.lengthInWords == header.headerExtension?.lengthInWords)
        precondition(again.payload.isEmpty)
    }
}

/// Rewrites every settable field of a copy in place; the fields change and nothing else does.
func checkMutableRTP(_ bytes: UnsafeRawBufferPointer) {
    guard !bytes.isEmpty else { return }
    withUnsafeTemporaryAllocation(byteCount: bytes.count, alignment: 1) { copy in
        copy.copyMemory(from: bytes)
        guard case .ok(let view) = RTPMutableHeader.parse(copy) else { return }
        let before = view.header.fields
        view.sequenceNumber = ~before.sequenceNumber
        view.timestamp = ~before.timestamp
        view.ssrc = ~before.ssrc
        view.marker = !before.marker
        view.payloadType = 127 - before.payloadType
        let after = view.header.fields
        precondition(after.sequenceNumber == ~before.sequenceNumber && after.timestamp == ~before.timestamp)
        precondition(after.ssrc == ~before.ssrc && after.marker == !before.marker)
        precondition(after.payloadType == 127 - before.payloadType && after.hasPadding == before.hasPadding)
        let unchanged = bytes[0] == copy[0]
        let restIntact = UnsafeRawBufferPointer(rebasing: copy[12...]).elementsEqual(bytes[12...])
        precondition(unchanged && restIntact)
    }
}

func checkRTCP(_ bytes: UnsafeRawBufferPointer) {
    var previousEnd = 0
    var packets = 0
    var verdict: RTPWireVerdict?
    var walk = RTCPCompound(bytes).makeIterator()
    while let step = walk.next() {
        precondition(verdict == nil, "the walk continued after a verdict")
        switch step {
        case .ok(let packet):
            precondition(packet.range.lowerBound == previousEnd && packet.range.upperBound <= bytes.count)
            precondition(packet.range.count == packet.header.packetLength)
            precondition(packet.bodyRange.lowerBound == packet.range.lowerBound + RTCPHeader.length)
            precondition(packet.bodyRange.upperBound + packet.paddingLength == packet.range.upperBound)
            precondition(packet.paddingLength == 0 || packet.range.upperBound == bytes.count)
            touch(packet.body)
            sink &+= Int(packet.ssrc ?? 0)
            checkRTCPHeaderRewrite(packet)
            previousEnd = packet.range.upperBound
            packets += 1
        case .malformed(let malformed):
            verdict = malformed
        }
    }
    precondition(verdict != nil || previousEnd == bytes.count)
    let validated = RTCPCompound.validate(bytes)
    if let verdict {
        precondition(validated == .malformed(verdict))
    } else {
        precondition(validated == .ok(packets))
    }
}

func checkRTCPHeaderRewrite(_ packet: RTCPPacket) {
    withUnsafeTemporaryAllocation(byteCount: RTCPHeader.length, alignment: 1) { out in
        let written = packet.header.write(into: out)
        precondition(written == .ok(RTCPHeader.length))
        let original = packet.packetBytes[0..<RTCPHeader.length]
        precondition(UnsafeRawBufferPointer(out).elementsEqual(original))
    }
}

func checkTelephoneEvent(_ bytes: UnsafeRawBufferPointer) {
    guard case .ok(let event) = TelephoneEvent.parse(bytes) else {
        precondition(bytes.count < TelephoneEvent.length)
        return
    }
    precondition(event.volume <= 63)
    withUnsafeTemporaryAllocation(byteCount: TelephoneEvent.length, alignment: 1) { out in
        let written = event.write(into: out)
        precondition(written == .ok(TelephoneEvent.length))
        precondition(UnsafeRawBufferPointer(out).elementsEqual(bytes[0..<TelephoneEvent.length]))
    }
}

func checkSequenceArithmetic(_ bytes: UnsafeRawBufferPointer) {
    guard bytes.count >= 8 else { return }
    let roc = bytes.loadUnaligned(as: UInt32.self)
    let highest = bytes.loadUnaligned(fromByteOffset: 4, as: UInt16.self)
    let received = bytes.loadUnaligned(fromByteOffset: 6, as: UInt16.self)
    let forward = SequenceNumber.isNewer(received, than: highest)
    let backward = SequenceNumber.isNewer(highest, than: received)
    precondition(!(forward && backward))
    precondition(forward == (SequenceNumber.distance(from: highest, to: received) > 0))
    guard roc < UInt32.max else { return }
    let estimate = SequenceNumber.estimateIndex(roc: roc, highest: highest, received: received)
    let highestIndex = Int(UInt64(roc) << 16 | UInt64(highest))
    precondition(estimate.index & 0xFFFF == UInt64(received) && estimate.index >> 48 == 0)
    precondition(estimate.delta == Int(estimate.index) - highestIndex)
    precondition(roc == 0 || abs(estimate.delta) <= 32768)
    precondition(estimate.roc == roc || estimate.roc == roc &+ 1 || estimate.roc == roc &- 1)
}
