import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Writing to stdout and stderr.
enum Output {
    /// The encoder `--json` uses: pretty, keys sorted so the output is stable.
    static func encoder(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys]
        return encoder
    }

    /// `value` as JSON on stdout.
    static func json<Value: Encodable>(_ value: Value, pretty: Bool = true) {
        // Encoding a decoded admin result cannot fail (it holds only strings, numbers, bools, arrays, maps).
        let data = (try? encoder(pretty: pretty).encode(value)) ?? Data("null".utf8)
        write(String(decoding: data, as: UTF8.self) + "\n")
    }

    /// Lines on stdout.
    static func lines(_ lines: [String]) {
        write(lines.map { $0 + "\n" }.joined())
    }

    /// `text` on stdout, unbuffered (so frames and errors interleave in order).
    static func write(_ text: String, to descriptor: Int32 = STDOUT_FILENO) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { raw in Glibc.write(descriptor, raw.baseAddress!, raw.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                // The reader is gone (`sottoctl watch | head` with SIGPIPE ignored): stop the way SIGPIPE
                // would have, rather than stream into nothing until the relay stops.
                if errno == EPIPE { exit(128 + SIGPIPE) }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }

    /// `sottoctl: <sentence>` on stderr.
    static func error(_ sentence: String) {
        write("sottoctl: \(sentence)\n", to: STDERR_FILENO)
    }
}
