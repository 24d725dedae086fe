import Testing

@testable import SottoConfig

@Suite struct UnknownKeyAndTypeTests {
    @Test func aMisspeltKeyIsRefusedWithASuggestion() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["sip.lisen": "\"127.0.0.1:5061\""]), in: directory)
        #expect(error?.file == directory.path + "/sotto.toml")
        #expect(error?.key == "sip.lisen")
        #expect(error?.reason == "unknown key \"sip.lisen\" (did you mean \"sip.listen\"?)")
    }

    @Test func anUnknownKeyFarFromAnyIsRefusedWithoutASuggestion() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document(["media.transport": "\"udp\""]), in: directory)
        #expect(error?.key == "media.transport")
        #expect(error?.reason == "unknown key \"media.transport\"")
    }

    @Test func anUnknownSectionIsRefused() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document() + "\n[sipp]\nlisten = \"127.0.0.1:5061\"\n", in: directory)
        #expect(error?.key == "sipp")
        #expect(error?.reason == "unknown section [sipp] (did you mean \"sip\"?)")
    }

    @Test func aKeyOutsideAnySectionIsRefusedWithItsHome() throws {
        let directory = try directoryWithCertificates()
        let error = loadError("ports = \"30000-39999\"\n" + document(), in: directory)
        #expect(error?.key == "ports")
        #expect(error?.reason == "unknown key \"ports\" (keys go in a section: put it under [media])")
    }

    @Test func aSubsectionIsAnUnknownKey() throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document() + "\n[sip.tls]\nmin_version = \"1.2\"\n", in: directory)
        #expect(error?.key == "sip.tls")
        #expect(error?.reason.hasPrefix("unknown key \"sip.tls\"") == true)
    }

    @Test func aSectionThatIsNotATableIsRefused() throws {
        let directory = try directoryWithCertificates()
        let error = loadError("log = \"debug\"\n" + document(), in: directory)
        #expect(error?.key == "log")
        #expect(error?.reason == "expected a section ([log]), found a string")
    }

    @Test(arguments: [
        ("sip.max_connections", "\"10\"", "expected an integer, found a string"),
        ("sip.handshake_timeout_ms", "5.5", "expected an integer, found a floating-point number"),
        ("sip.require_client_cert", "\"yes\"", "expected a boolean (true or false), found a string"),
        ("sip.listen", "5061", "expected a string, found an integer"),
        ("media.ports", "[30000, 39999]", "expected a string, found an array"),
        ("media.suites", "\"AEAD_AES_128_GCM\"", "expected an array of strings, found a string"),
        ("upstream.trusted_addresses", "[\"10.0.0.1\", 7]", "expected an array of strings, but item 2 is an integer"),
        ("log.level", "{ name = \"info\" }", "expected a string, found a table"),
        ("calls.drain_s", "1979-05-27", "expected an integer, found a date"),
    ])
    func aWrongTypeNamesTheExpectedType(key: String, literal: String, reason: String) throws {
        let directory = try directoryWithCertificates()
        let error = loadError(document([key: literal]), in: directory)
        #expect(error?.key == key)
        #expect(error?.reason == reason)
    }
}
