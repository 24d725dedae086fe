internal import COpenSSL

/// OpenSSL's thread-local error queue, read into sentences.
///
/// Every call into OpenSSL that can fail clears the queue first (as swift-nio-ssl does), so that
/// what is read after a failure belongs to that failure and not to an earlier one on this thread.
enum OpenSSLErrorQueue {
    /// Empties the queue before an OpenSSL call.
    static func clear() {
        ERR_clear_error()
    }

    /// Drains the queue into one `;`-separated string of "library: reason" parts, or nil if empty.
    static func drain() -> String? {
        let codes = drainCodes()
        return codes.isEmpty ? nil : codes.map(describe).joined(separator: "; ")
    }

    /// Drains the queue, oldest error first.
    static func drainCodes() -> [UInt] {
        var codes: [UInt] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            codes.append(code)
        }
        return codes
    }

    /// One queued error as "library: reason"; falls back to `ERR_error_string_n` when OpenSSL has
    /// no reason text for it, so a raw code never reaches a person without words around it.
    static func describe(_ code: UInt) -> String {
        if let reasonText = ERR_reason_error_string(code) {
            let reason = String(cString: reasonText)
            if let library = ERR_lib_error_string(code) {
                return "\(String(cString: library)): \(reason)"
            }
            return reason
        }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        let text = buffer.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        return "unnamed OpenSSL error (\(text))"
    }
}
