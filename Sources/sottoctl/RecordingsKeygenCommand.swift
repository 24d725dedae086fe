import ArgumentParser
import Recording

/// `sottoctl recordings keygen --out KEYFILE`: the recipients' key pair. Runs on the officer's machine and needs no
/// relay: the identity (private) stays with the compliance officers, only KEYFILE.pub goes on the relay.
struct RecordingsKeygenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keygen",
        abstract: "Make a recordings key pair: KEYFILE (private, 0600) and KEYFILE.pub (for the relay's recipients).",
        discussion: """
            Keep KEYFILE with the compliance officers (it opens every recording sealed to it); put only the line \
            of KEYFILE.pub into the file recording.recipients names on the relay. Several officers' or a key \
            escrow's lines may go there: each can open the recordings on its own. Neither file is overwritten.
            """)

    @Option(help: ArgumentHelp("The identity file to write (KEYFILE.pub is written beside it).", valueName: "keyfile"))
    var out: String

    func run() throws {
        try Sottoctl.failing {
            let identity = RecordingIdentity.generate()
            do {
                try identity.write(path: out)
            } catch {
                throw SottoctlError(.export, "could not write the key pair: \(error)")
            }
            Output.lines([
                "identity (private, keep it off the relay): \(out)",
                "recipient (for recording.recipients on the relay): \(out).pub",
                identity.recipient.line,
            ])
        }
    }
}
