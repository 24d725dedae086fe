import TLS
import Testing

/// SHA-256 known answers: the examples of FIPS 180-2, Appendix B (one block, two blocks, a million "a"s),
/// plus the empty message.
@Suite struct DigestTests {
    /// Name, the message as a text repeated a number of times, and the expected digest.
    static let vectors: [(String, String, Int, String)] = [
        ("empty", "", 1, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        ("abc (B.1)", "abc", 1, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        (
            "two blocks (B.2)", "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1,
            "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
        ),
        (
            "a million a (B.3)", "a", 1_000_000,
            "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
        ),
    ]

    @Test(arguments: vectors)
    func sha256KnownAnswers(_ vector: (String, String, Int, String)) {
        let message = Array(String(repeating: vector.1, count: vector.2).utf8)
        let digest = Digest.sha256(message)
        #expect(digest.count == 32)
        #expect(digest.map { String($0, radix: 16).leftPadded(to: 2) }.joined() == vector.3, "\(vector.0)")
    }

    @Test func anArraySliceHashesLikeTheArray() {
        let bytes = Array("xxabcxx".utf8)
        #expect(Digest.sha256(bytes[2..<5]) == Digest.sha256(Array("abc".utf8)))
        #expect(Digest.sha256(AnyCollection(Array("abc".utf8))) == Digest.sha256(Array("abc".utf8)))
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
