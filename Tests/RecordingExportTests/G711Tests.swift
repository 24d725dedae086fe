import Testing

@testable import RecordingExport

@Suite struct G711Tests {
    /// Values from the ITU-T G.711 tables: μ-law 0xFF and A-law 0xD5 are the codes for zero; the extremes decode to
    /// ±32124 (μ-law) and ±32256 (A-law).
    @Test func knownValues() {
        #expect(G711.encodeMu(0) == 0xFF)
        #expect(G711.decodeMu(0xFF) == 0)
        #expect(G711.decodeMu(0x80) == 32124)
        #expect(G711.decodeMu(0x00) == -32124)
        #expect(G711.encodeMu(32767) == 0x80)
        #expect(G711.encodeMu(-32768) == 0x00)
        #expect(G711.encodeA(0) == 0xD5)
        #expect(G711.decodeA(0xD5) == 8)
        #expect(G711.decodeA(0x55) == -8)
        #expect(G711.decodeA(0xAA) == 32256)
        #expect(G711.decodeA(0x2A) == -32256)
        #expect(G711.encodeA(32767) == 0xAA)
        #expect(G711.encodeA(-32768) == 0x2A)
    }

    /// Every code decodes to a level that encodes back to a code of the same level.
    @Test func everyCodeRoundTrips() {
        for byte in UInt8.min...UInt8.max {
            #expect(G711.decodeMu(G711.encodeMu(G711.decodeMu(byte))) == G711.decodeMu(byte))
            #expect(G711.encodeA(G711.decodeA(byte)) == byte)
        }
    }

    /// Encoding is monotonic: louder input never decodes quieter.
    @Test func monotonic() {
        var previousMu = Int16.min
        var previousA = Int16.min
        for sample in stride(from: Int32(Int16.min), through: Int32(Int16.max), by: 7) {
            let mu = G711.decodeMu(G711.encodeMu(Int16(sample)))
            let a = G711.decodeA(G711.encodeA(Int16(sample)))
            #expect(mu >= previousMu)
            #expect(a >= previousA)
            previousMu = mu
            previousA = a
        }
    }
}
