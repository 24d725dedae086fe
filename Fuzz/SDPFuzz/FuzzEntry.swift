// libFuzzer target for SDP: every input is parsed as a session description; what parses must
// write back to the identical bytes and parse again to an equal value, and every view is read. Then the
// editing helpers run on every media section, and the edited description must parse again. Invariants are
// `precondition`s over values computed beforehand: `-Ounchecked` would drop a side effect inside one.

import SDP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let description = try? SDPSessionDescription(parsing: bytes) else { return 0 }
    let written = description.bytes
    precondition(written.elementsEqual(bytes), "a parsed description must write back byte for byte")
    let again = try? SDPSessionDescription(parsing: written)
    precondition(again == description, "a written description must parse to an equal value")
    readViews(description)
    checkEdits(description)
    return 0
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("SDPFuzz_main")  // SwiftPM links executables with --defsym main=<target>_main
public func sdpFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOne($0, $1) }
}

/// Where the views' results are summed, so that the optimiser cannot drop the reads. One fuzzing thread only.
nonisolated(unsafe) var sink = 0

func readViews(_ description: SDPSessionDescription) {
    sink &+= description.origin?.sessionID.count ?? 0
    sink &+= description.connection?.address.count ?? 0
    sink &+= description.bandwidths.count + (description.sessionName?.count ?? 0)
    for index in description.media.indices {
        let section = description.media[index]
        precondition(section.lines.first?.type == "m" && section.field.port <= 65535)
        sink &+= description.connection(forMedia: index)?.address.count ?? 0
        sink &+= description.direction(forMedia: index).rawValue.count
        sink &+= section.rtpMaps.count + section.formatParameters.count + (section.ptime ?? 0)
        sink &+= (section.rtcp?.port ?? 0) + (section.rtcpMux ? 1 : 0) + section.bandwidths.count
        for attribute in section.cryptoAttributes {
            precondition(!attribute.keyParameters.isEmpty)
            let reparsed = try? SDPCryptoAttribute(parsing: attribute.value)
            precondition(reparsed == attribute, "a crypto attribute must write back to an equal value")
            for key in attribute.keyParameters { sink &+= Int(truncatingIfNeeded: key.lifetimePackets ?? 0) }
        }
        sink &+= section.offeredSuites.count
    }
}

/// Rewrites every media section as the Proxy would and checks the result parses and reads back the edits.
func checkEdits(_ description: SDPSessionDescription) {
    guard let key = try? SDPCryptoKeyParameter(keySalt: "WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz", lifetime: "2^31"),
        let crypto = try? SDPCryptoAttribute(tag: 1, suite: "AES_CM_128_HMAC_SHA1_80", keyParameters: [key])
    else { preconditionFailure("a fixed crypto line must build") }
    var edited = description
    for index in edited.media.indices {
        let verdict = edited.media[index].srtpVerdict(allowedSuites: ["AES_CM_128_HMAC_SHA1_80"]) { _, _ in true }
        sink &+= verdict.usableAttributes.count
        do {
            try edited.media[index].setConnection(address: "2001:db8::1", port: 40000 + index, rtcpPort: 40001)
        } catch {
            preconditionFailure("a valid address and port must be accepted")
        }
        edited.media[index].replaceCryptoAttributes(with: [crypto])
    }
    // The edits add lines, so the input's limits may no longer fit: allow more for the re-parse.
    let roomy = SDPLimits(maximumSize: 1 << 20, maximumLines: 1 << 16)
    guard let reparsed = try? SDPSessionDescription(parsing: edited.text, limits: roomy) else {
        preconditionFailure("an edited description must parse")
    }
    for index in reparsed.media.indices {
        let section = reparsed.media[index]
        precondition(section.port == 40000 + index && section.connections.first?.address == "2001:db8::1")
        precondition(section.cryptoAttributes == [crypto] && section.rtcp?.port == 40001)
    }
}
