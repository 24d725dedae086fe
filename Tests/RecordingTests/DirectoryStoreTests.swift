import Foundation
import Glibc
import SottoTestSupport
import Testing

@testable import Recording

/// The recording directory as a store: modes, ownership, links, names, bounds.
@Suite struct DirectoryStoreTests {
    private func mode(_ path: String) -> mode_t {
        var info = stat()
        guard lstat(path, &info) == 0 else { return 0 }
        return info.st_mode & 0o7777
    }

    @Test func createsThePrivateDirectoryAndPrivateFiles() throws {
        let parent = try TemporaryDirectory("sotto-store")
        let path = parent.file("recordings")
        let store = try DirectoryStore(path: path)
        #expect(mode(path) == 0o700)

        let file = try store.create("A.sotto")
        try file.append([1, 2, 3])
        try file.append(Array(repeating: 9, count: 5000))
        try file.sync()
        #expect(file.size == 5003)
        file.close()
        #expect(throws: RecordingStoreError.self) { try file.append([4]) }
        #expect(mode(path + "/A.sotto") == 0o600)
        #expect(store.exists("A.sotto"))
        #expect(try store.size("A.sotto") == 5003)
        #expect(try store.size("B.sotto") == nil)
        #expect(try store.read("A.sotto", maximumBytes: 1 << 20) == [1, 2, 3] + Array(repeating: 9, count: 5000))
        #expect(try store.read("A.sotto", offset: 1, length: 3) == [2, 3, 9])
        #expect(try store.read("A.sotto", offset: 5000, length: 100) == [9, 9, 9])
        #expect(try store.read("A.sotto", offset: 5003, length: 100) == [])

        #expect(try store.remove("A.sotto"))
        #expect(!store.exists("A.sotto"))
        #expect(try !store.remove("A.sotto"))
    }

    @Test func aWiderDirectoryIsTightenedTo0700() throws {
        let parent = try TemporaryDirectory("sotto-store")
        let path = try parent.makeDirectory("recordings")
        chmod(path, 0o755)
        _ = try DirectoryStore(path: path)
        #expect(mode(path) == 0o700)
    }

    @Test func aSymlinkedDirectoryIsRefused() throws {
        let parent = try TemporaryDirectory("sotto-store")
        let real = try parent.makeDirectory("real")
        chmod(real, 0o700)
        #expect(symlink(real, parent.file("recordings")) == 0)
        #expect {
            try DirectoryStore(path: parent.file("recordings"))
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .unsafe
        }
    }

    @Test func anotherUsersDirectoryIsRefused() throws {
        guard geteuid() == 0 else { return }  // only root can make a directory another user's
        let parent = try TemporaryDirectory("sotto-store")
        let path = try parent.makeDirectory("recordings")
        #expect(chown(path, 65534, 65534) == 0)
        #expect {
            try DirectoryStore(path: path)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .unsafe
        }
    }

    @Test func aLinkPlantedInTheDirectoryIsNeverFollowed() throws {
        let parent = try TemporaryDirectory("sotto-store")
        let store = try DirectoryStore(path: parent.file("recordings"))
        let outside = try parent.write("outside", "secret")
        #expect(symlink(outside, parent.file("recordings/L.sotto")) == 0)
        #expect {
            try store.read("L.sotto", maximumBytes: 100)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .unsafe
        }
        #expect {
            try store.read("L.sotto", offset: 0, length: 100)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .unsafe
        }
        #expect {
            try store.create("L.sotto")
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .exists
        }
        #expect(try String(contentsOfFile: outside, encoding: .utf8) == "secret")
    }

    @Test(arguments: ["../escape", "a/b", ".hidden", "", String(repeating: "x", count: 129), "a\0b", "é"])
    func namesThatAreNotPlainFileNamesAreRefused(name: String) throws {
        let parent = try TemporaryDirectory("sotto-store")
        let store = try DirectoryStore(path: parent.file("recordings"))
        #expect {
            try store.create(name)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .invalidName
        }
        #expect {
            try store.remove(name)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .invalidName
        }
        #expect(!FileManager.default.fileExists(atPath: parent.file("escape")))
    }

    @Test func aFileIsCreatedOnlyOnceAndReadsAreBounded() throws {
        let parent = try TemporaryDirectory("sotto-store")
        let store = try DirectoryStore(path: parent.file("recordings"))
        let file = try store.create("A.sotto")
        try file.append(Array(repeating: 7, count: 1000))
        #expect {
            try store.create("A.sotto")
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .exists
        }
        #expect {
            try store.read("A.sotto", maximumBytes: 999)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .tooLarge
        }
        #expect {
            try store.read("missing.sotto", maximumBytes: 999)
        } throws: { error in
            (error as? RecordingStoreError)?.kind == .notFound
        }
        #expect(try store.read("A.sotto", maximumBytes: 1000).count == 1000)
    }
}

/// The store's digest helper, against sha256sum's answer for the same bytes.
@Suite struct RecordingStoreDigestTests {
    @Test func theDigestCoversTheWholeFileAcrossPieces() async throws {
        let parent = try TemporaryDirectory("sotto-store")
        let store = try DirectoryStore(path: parent.file("recordings"))
        let file = try store.create("D.sotto")
        let bytes = (0..<((1 << 20) * 2 + 4321)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ 7) }
        try file.append(bytes)
        file.close()
        let digest = try store.sha256(of: "D.sotto")
        #expect(digest.size == bytes.count)
        let result = try await ChildProcess.run("/usr/bin/sha256sum", [parent.file("recordings/D.sotto")])
        #expect(result.stdout.hasPrefix(digest.hex + " "))
    }
}
