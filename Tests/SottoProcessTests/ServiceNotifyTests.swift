import Foundation
import Glibc
import SottoTestSupport
import Testing

/// The real `sotto` under systemd's `Type=notify` protocol (the packaged unit's): READY=1 once it listens, WATCHDOG=1
/// at half of `WATCHDOG_USEC`, STOPPING=1 when SIGTERM starts the drain.
@Suite(.serialized) struct ServiceNotifyTests {
    @Test func readyWatchdogAndStoppingReachTheNotifySocket() async throws {
        let setup = try await SottoSetup()
        let config = try setup.writeConfig(extra: "[process]\nallow_root = true\n")
        let notify = try NotifySocket(name: setup.directory.file("notify"))
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notify.name
        environment["WATCHDOG_USEC"] = "400000"
        let relay = try ChildProcess(
            BuildProducts.path("sotto"), ["--config", config], environment: environment, stderr: .standardOutput)
        let ready = notify.receive(containing: "READY=1")
        #expect(ready == "READY=1\nSTATUS=relaying; SIP on 127.0.0.1:\(setup.sipPort)")
        // Ready means bound: the listener takes a connection at once.
        let client = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = setup.sipPort.bigEndian
        inet_pton(AF_INET, "127.0.0.1", &address.sin_addr)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(client, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        #expect(connected == 0)
        close(client)
        #expect(notify.receive(containing: "WATCHDOG=1") == "WATCHDOG=1")
        relay.signal(SIGTERM)
        #expect(notify.receive(containing: "STOPPING=1") == "STOPPING=1\nSTATUS=draining 0 calls; new calls get 503")
        #expect(try await relay.exitStatus() == 0)
        #expect(relay.stdout.contains("systemd watchdog on"), "\(relay.stdout)")
    }
}
