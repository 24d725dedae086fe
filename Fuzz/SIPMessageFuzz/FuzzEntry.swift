// libFuzzer target for the SIP message parser: every input is parsed; what parses must serialise
// back to exactly the input bytes and parse again to an equal message; what fails must fail with an offset inside
// the input, and a request that fails must get a 400 that itself parses. Invariants are `precondition`s over
// values computed beforehand: `-Ounchecked` would drop a side effect inside one.

import SIP

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let limits = SIPLimits(maxMessageSize: 16_384, maxBodySize: 8_192, maxHeaderCount: 64, maxLineLength: 2_048)
    do {
        let message = try SIPMessage(parsing: bytes, limits: limits)
        checkRoundTrip(message, bytes: bytes, limits: limits)
        checkLazyHeaders(message)
    } catch {
        precondition(error.offset >= 0 && error.offset <= size, "an error offset outside the input")
        checkBadRequest(bytes, error: error)
    }
    return 0
}

func checkRoundTrip(_ message: SIPMessage, bytes: [UInt8], limits: SIPLimits) {
    let written = message.serialized()
    precondition(written == bytes, "an unchanged message must serialise byte for byte")
    let again: SIPMessage
    do {
        again = try SIPMessage(parsing: written, limits: limits)
    } catch {
        preconditionFailure("a serialised message must parse: \(error)")
    }
    precondition(again == message, "a re-parsed message must be equal")
    // An edited message must serialise canonically and parse back to the same edit.
    var edited = message
    do {
        try edited.insertVia(SIPVia(transport: "TLS", host: "relay.invalid", port: 5061))
        try edited.replaceBody(Array("v=0\r\n".utf8), contentType: .sdp)
    } catch {
        preconditionFailure("a proxy's edits of a valid message must succeed: \(error)")
    }
    let reparsed = try? SIPMessage(parsing: edited.serialized(), limits: SIPLimits(maxMessageSize: 1 << 20))
    precondition(reparsed == edited, "an edited message must parse back equal")
    precondition(reparsed?.via.count == message.via.count + 1)
}

func checkLazyHeaders(_ message: SIPMessage) {
    // Lazy headers may fail, but only with a typed error, and never trap.
    _ = try? message.routes()
    _ = try? message.recordRoutes()
    _ = try? message.paths()
    _ = try? message.contacts()
    _ = try? message.supported()
    _ = try? message.required()
}

func checkBadRequest(_ bytes: [UInt8], error: SIPError) {
    guard let response = SIPBadRequest.response(to: bytes, error: error, toTag: "fuzz") else { return }
    // The 400 copies what it could read; the status line it writes must always parse.
    let lineEnd = response.firstIndex(of: 13) ?? response.count
    let statusLine = String(decoding: response[0..<lineEnd], as: UTF8.self)
    precondition(statusLine.hasPrefix("SIP/2.0 400 Bad Request (") || statusLine.hasPrefix("SIP/2.0 505 "))
    precondition(statusLine.utf8.count <= 12 + SIPBadRequest.maxReasonLength)
    precondition(response.suffix(4) == [13, 10, 13, 10])
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("SIPMessageFuzz_main")  // SwiftPM links executables with --defsym main=<target>_main
public func sipMessageFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOne($0, $1) }
}
