import SRTP
import Testing

/// A master key's bytes have one home: copies of a key share it, and it can be cleared.
@Suite struct SRTPKeyBytesTests {
    @Test func copiesOfAKeyShareOneBuffer() throws {
        let key = try SRTPKeyMaterial.generate(for: .aeadAES256GCM)
        let copy = key
        #expect(copy.storage === key.storage, "copying the value copies a reference, never the bytes")
        let parsed = try SRTPKeyMaterial(sdesKeyParameter: key.sdesKeyParameter, profile: .aeadAES256GCM)
        #expect(parsed == key && parsed.storage !== key.storage)
    }

    @Test func wipeClearsTheBytesEveryHolderSees() throws {
        let key = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
        let holder = key
        #expect(key.key.contains { $0 != 0 })
        key.storage.wipe()
        #expect(holder.key.allSatisfy { $0 == 0 } && holder.salt.allSatisfy { $0 == 0 })
    }

    @Test func theBufferIsFreedWhenTheLastHolderLetsGo() throws {
        weak var storage: SRTPKeyBytes?
        do {
            let key = try SRTPKeyMaterial.generate(for: .aesCM128HMACSHA1_80)
            storage = key.storage
            let context = try SRTPContext(key: key, direction: .inbound)
            _ = context
            #expect(storage != nil)
        }
        #expect(storage == nil, "nothing kept a reference, so the bytes were cleansed and freed")
    }
}
