import Foundation
import Testing

@testable import sotto_loadgen

/// `--tones`: each side sends its own steady tone (what a recording's export is checked against).
@Suite struct LoadgenTonesTests {
    /// The flags every run needs; the certificate and key only have to be readable files for parsing.
    var base: [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("loadgen-tones-placeholder.pem").path
        FileManager.default.createFile(atPath: path, contents: Data("placeholder".utf8))
        return ["--relay", "127.0.0.1:5061", "--cert", path, "--key", path]
    }

    @Test func parsesTwoFrequencies() throws {
        let settings = try LoadgenCommand.parse(base + ["--tones", "440,1000"]).settings()
        #expect(settings.tones == Tones(phone: 440, pbx: 1000))
        #expect(try LoadgenCommand.parse(base).settings().tones == nil)
    }

    @Test(arguments: ["440", "440,1000,2000", "10,1000", "440,abc", "440,5000"])
    func refusesOtherValues(_ value: String) {
        #expect(throws: LoadgenError.self) { try LoadgenCommand.parse(base + ["--tones", value]).settings() }
    }

    /// A steady tone's frames differ from the sweep's and from another tone's, so the two sides are told apart.
    @Test(arguments: [Codec.pcmu, Codec.opus]) func eachSideGetsItsOwnFrames(codec: Codec) throws {
        let low = try PayloadFrames.make(codec: codec, ptimeMilliseconds: 20, tone: 440)
        let high = try PayloadFrames.make(codec: codec, ptimeMilliseconds: 20, tone: 1000)
        let sweep = try PayloadFrames.make(codec: codec, ptimeMilliseconds: 20)
        #expect(low.frames.count == 50 && high.frames.count == 50)
        #expect(low.frames != high.frames && low.frames != sweep.frames)
    }
}
