import Foundation
import SottoTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// The failures a user meets first, each one sentence on stderr and exit status 1.
@Suite struct ErrorTests {
    @Test(arguments: ["sessions", "stats", "watch"])
    func noSocketAtThePath(command: String) async throws {
        let directory = try TemporaryDirectory("sottoctl-test")
        let path = directory.path + "/nothing.sock"
        let result = try await run([command, "--socket", path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(result.stderr == "sottoctl: no admin socket at \(path) (is sotto running?)\n")
    }

    @Test func aSocketNobodyListensOnIsNoSocketEither() async throws {
        let directory = try TemporaryDirectory("sottoctl-test")
        let path = directory.path + "/stale.sock"
        // Bound and closed: the file stays, connecting is refused (ECONNREFUSED), as after a crash.
        let descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(descriptor)
        #expect(bound == 0)
        let result = try await run(["version", "--socket", path])
        #expect(result.status == 1)
        #expect(result.stderr == "sottoctl: no admin socket at \(path) (is sotto running?)\n")
    }

    @Test func permissionDeniedOnTheSocket() async throws {
        let fixture = try await Fixture()
        // The server makes the socket 0660 (root:root here); force it in case of a different umask.
        #expect(chmod(fixture.socketPath, 0o660) == 0)
        let result = try await run(
            [
                "--reuid", "65534", "--regid", "65534", "--clear-groups", Products.sottoctl, "sessions", "--socket",
                fixture.socketPath,
            ], executable: "/usr/bin/setpriv")
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        #expect(
            result.stderr
                == "sottoctl: permission denied on \(fixture.socketPath) (sottoctl needs a role on the admin socket: "
                + "ask an admin)\n")
    }

    @Test func noRoleIsTheServersSentence() async throws {
        let fixture = try await Fixture(roles: ["--viewer", "uid:4242"])
        for command in [["sessions"], ["watch"]] {
            let result = try await sottoctl(command, on: fixture)
            #expect(result.status == 1)
            #expect(result.stderr == "sottoctl: uid 0 has no role on this admin socket\n", "\(command)")
        }
    }

    @Test func aViewerMayNotTerminate() async throws {
        let fixture = try await Fixture(roles: ["--viewer", "uid:0"])
        let result = try await sottoctl(["terminate", "1"], on: fixture)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("sottoctl: terminate needs the operator role"), "\(result.stderr)")
        #expect(try await sottoctl(["sessions"], on: fixture).status == 0)
    }

    @Test func theServersLimitsComeBackAsItsSentence() async throws {
        let fixture = try await Fixture()
        let result = try await sottoctl(["watch", "--interval-ms", "10"], on: fixture)
        #expect(result.status == 1)
        #expect(result.stderr.hasPrefix("sottoctl: interval_ms must be between"), "\(result.stderr)")
    }

    @Test func aServerThatClosesWithoutAnsweringIsSaidSo() async throws {
        let directory = try TemporaryDirectory("sottoctl-test")
        let path = directory.path + "/mute.sock"
        let listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8)) }
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        #expect(listen(listener, 4) == 0)
        // Accept one client, read its request, close without a word.
        let server = Thread {
            let client = accept(listener, nil, nil)
            var bytes = [UInt8](repeating: 0, count: 4096)
            _ = read(client, &bytes, bytes.count)
            close(client)
        }
        server.start()
        let result = try await run(["stats", "--socket", path])
        #expect(result.status == 1)
        #expect(result.stderr == "sottoctl: the admin socket at \(path) closed the connection before answering\n")
    }
}
