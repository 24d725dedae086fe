/// Unguessable identifiers for tags, branches and flow tokens.
///
/// They come from `SystemRandomNumberGenerator`, which on Linux reads the kernel's CSPRNG (`getrandom`), and
/// `randomElement()` picks uniformly. A flow token is what lets the PBX address one agent's connection; a
/// guessable one would let a peer that can reach the PBX side aim requests at another agent. 20 characters
/// from 36 carry about 103 bits.
enum RandomToken {
    private static let alphabet = Array("0123456789abcdefghijklmnopqrstuvwxyz")

    /// `count` characters from [0-9a-z].
    static func make(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<count).map { _ in alphabet.randomElement(using: &generator)! })
    }
}
