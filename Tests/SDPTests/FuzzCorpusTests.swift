import Foundation
import Testing

@testable import SDP

/// The fuzz target's seed corpus (`Fuzz/corpus/sdp`), run through the fuzz target's own checks. An input the
/// fuzzer crashes on becomes a test of its own beside these (none so far: docs/sdp.md).
@Suite("Fuzz seed corpus")
struct FuzzCorpusTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func files(_ folder: String) -> [String] {
        let directory = root.appendingPathComponent(folder)
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return names.sorted().map { directory.appendingPathComponent($0).path }
    }

    @Test("every seed parses, writes back byte for byte and parses again to an equal value")
    func seeds() throws {
        let seeds = Self.files("Fuzz/corpus/sdp")
        #expect(seeds.count >= 4)
        for path in seeds {
            let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
            let parsed = try SDPSessionDescription(parsing: bytes)
            #expect(parsed.bytes == bytes, "\(path)")
            #expect(try SDPSessionDescription(parsing: parsed.bytes) == parsed, "\(path)")
            #expect(!parsed.media.isEmpty, "\(path)")
        }
    }
}
