/// Parsing a session description from text or bytes (RFC 4566 §5).
extension SDPSessionDescription {
    /// Parses a session description.
    ///
    /// Strict where RFC 4566 is: `<type>=<value>` lines with a known type letter, in the §5 order, with
    /// well-formed `v=`, `o=`, `c=`, `b=`, `t=` and `m=` fields. Tolerant where phones are sloppy: CRLF or bare
    /// LF line breaks (each kept), trailing whitespace, no final line break, blank lines at the end, unknown or
    /// malformed attributes. Throws an ``SDPError`` giving the byte offset, the line and what was expected.
    public init(parsing text: String, limits: SDPLimits = .default) throws(SDPError) {
        var text = text
        let result = text.withUTF8 { buffer in
            Result { () throws(SDPError) in
                var parser = SDPParser(buffer, limits: limits, checkEncoding: false)
                return try parser.parse()
            }
        }
        self = try result.get()
    }

    /// Parses a session description from bytes, which must be UTF-8 (RFC 4566 §5) without NUL.
    public init(parsing bytes: some Collection<UInt8>, limits: SDPLimits = .default) throws(SDPError) {
        func run(_ buffer: UnsafeBufferPointer<UInt8>) -> Result<SDPSessionDescription, SDPError> {
            Result { () throws(SDPError) in
                var parser = SDPParser(buffer, limits: limits, checkEncoding: true)
                return try parser.parse()
            }
        }
        let result = bytes.withContiguousStorageIfAvailable(run) ?? Array(bytes).withUnsafeBufferPointer(run)
        self = try result.get()
    }
}
