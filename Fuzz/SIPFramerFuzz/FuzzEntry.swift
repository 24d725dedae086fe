// libFuzzer target for the SIP stream framer. The first bytes of the input give chunk sizes; the
// rest is fed in chunks of those sizes. Invariants: the framer never buffers more than its limit; the messages it
// emits, joined with the keep-alives, are exactly the bytes fed up to any fatal error; every message either
// parses or fails with a typed error; feeding the same bytes in one read gives the same frames; after a fatal
// frame nothing else comes out.

import SIP

let limits = SIPLimits(maxMessageSize: 4_096, maxBodySize: 2_048, maxHeaderCount: 32, maxLineLength: 1_024)

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOne(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size >= 4 else { return 0 }
    let sizes = Array(input[0..<4]).map { Int($0 % 64) + 1 }
    let stream = Array(input[4...])

    var framer = SIPStreamFramer(limits: limits)
    var frames: [SIPFrame] = []
    var offset = 0
    var turn = 0
    while offset < stream.count {
        let take = min(sizes[turn % sizes.count] * (turn % 3 == 2 ? 37 : 1), stream.count - offset)
        frames += framer.feed(Array(stream[offset..<(offset + take)]))
        let buffered = framer.bufferedByteCount
        precondition(buffered <= limits.maxMessageSize, "the framer holds more than its limit")
        offset += take
        turn += 1
        if fatalCode(frames) != nil { break }
    }
    checkFrames(frames, stream: stream, buffered: framer.bufferedByteCount)
    let after = framer.feed([13, 10, 13, 10])
    precondition(fatalCode(frames) == nil || after == [frames.last!], "a failed framer must only repeat its error")

    var whole = SIPStreamFramer(limits: limits)
    let inOneRead = whole.feed(stream)
    // A ping split across reads is reported as two pongs; compare the messages and the outcome.
    precondition(messages(inOneRead) == messages(frames), "chunking changed the messages")
    precondition(fatalCode(inOneRead) == fatalCode(frames), "chunking changed the outcome")
    return 0
}

func messages(_ frames: [SIPFrame]) -> [[UInt8]] {
    frames.compactMap { frame in
        if case .message(let bytes) = frame { return bytes }
        return nil
    }
}

func fatalCode(_ frames: [SIPFrame]) -> SIPError.Code? {
    guard case .fatal(let error)? = frames.last else { return nil }
    return error.code
}

func checkFrames(_ frames: [SIPFrame], stream: [UInt8], buffered: Int) {
    // The frames, written back, are exactly the stream's bytes up to what is still buffered or the fatal error.
    var rebuilt: [UInt8] = []
    for (index, frame) in frames.enumerated() {
        switch frame {
        case .message(let bytes):
            precondition(bytes.count <= limits.maxMessageSize)
            rebuilt += bytes
            do {
                let message = try SIPMessage(parsing: bytes, limits: limits)
                precondition(message.serialized() == bytes)
            } catch {
                precondition(error.offset >= 0 && error.offset <= bytes.count)
                _ = SIPBadRequest.response(to: bytes, error: error, toTag: "fuzz")
            }
        case .keepAlivePing:
            rebuilt += [13, 10, 13, 10]
        case .keepAlivePong:
            rebuilt += [13, 10]
        case .fatal:
            precondition(index == frames.count - 1, "a frame came after a fatal one")
        }
    }
    precondition(frames.filter { if case .fatal = $0 { return true } else { return false } }.count <= 1)
    precondition(rebuilt.count <= stream.count && stream[0..<rebuilt.count].elementsEqual(rebuilt))
    if fatalCode(frames) == nil {
        precondition(rebuilt.count + buffered == stream.count, "bytes were lost or invented")
    }
}

@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> Int32
) -> Int32

@_cdecl("SIPFramerFuzz_main")  // SwiftPM links executables with --defsym main=<target>_main
public func sipFramerFuzzMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    var count = argc
    var arguments = argv
    return LLVMFuzzerRunDriver(&count, &arguments) { fuzzOne($0, $1) }
}
