import Foundation
import Recording

// recording-index-child DIRECTORY: opens the recording index in DIRECTORY and inserts rows as fast as it can,
// printing `committed ID` after each insert returns, until it is killed. The crash test kills it with -9 partway
// and checks that every row it reported is in the index, and that the index is whole.
let arguments = CommandLine.arguments
guard arguments.count == 2 else {
    FileHandle.standardError.write(Data("usage: recording-index-child DIRECTORY\n".utf8))
    exit(2)
}
do {
    let index = try RecordingIndex(directory: arguments[1])
    var number = 0
    while true {
        number += 1
        let id = RecordingRow.newID()
        try index.insert(
            RecordingRow(
                id: id, callID: "crash-\(number)", caller: "sip:caller-\(number)@example.com",
                callee: "sip:agent@example.com", requestURI: "sip:agent@example.com", started: Date(),
                codecs: "PCMU/8000", sealedKeys: Data(repeating: UInt8(number & 0xFF), count: 128),
                recipientKeyIDs: "0011223344556677", retentionDays: 90))
        // Unbuffered (one write per line): what the parent reads is exactly what returned.
        FileHandle.standardOutput.write(Data("committed \(id)\n".utf8))
    }
} catch {
    FileHandle.standardError.write(Data("recording-index-child: \(error)\n".utf8))
    exit(1)
}
