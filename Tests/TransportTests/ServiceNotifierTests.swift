import Foundation
import SottoTestSupport
import Testing
import Transport

/// systemd's notification protocol, against a real datagram socket standing in for systemd's: at a path and in
/// the abstract namespace, the watchdog variables, and nothing at all outside a unit.
@Suite struct ServiceNotifierTests {
    @Test func readyStoppingAndWatchdogArriveAtAPathSocket() throws {
        let directory = try TemporaryDirectory("sotto-notify")
        let path = directory.file("notify")
        let listener = try NotifySocket(name: path)
        let notifier = ServiceNotifier(socketPath: path, ownPID: Int(getpid()))
        #expect(notifier.isActive)
        #expect(notifier.ready(status: "relaying\nSIP on 127.0.0.1:5061"))
        #expect(listener.receive() == "READY=1\nSTATUS=relaying SIP on 127.0.0.1:5061")
        #expect(notifier.watchdog())
        #expect(listener.receive() == "WATCHDOG=1")
        #expect(notifier.stopping(status: "draining 2 calls"))
        #expect(listener.receive() == "STOPPING=1\nSTATUS=draining 2 calls")
    }

    @Test func anAbstractSocketIsReachedByItsExactName() throws {
        let name = "@sotto-notify-test-\(getpid())"
        let listener = try NotifySocket(name: name)
        #expect(ServiceNotifier(socketPath: name, ownPID: 1).ready(status: "up"))
        #expect(listener.receive() == "READY=1\nSTATUS=up")
    }

    @Test func outsideAUnitNothingIsSent() {
        for path in [nil, "", "relative/notify"] {
            let notifier = ServiceNotifier(socketPath: path, watchdogMicroseconds: "30000000", ownPID: 7)
            #expect(!notifier.isActive)
            #expect(!notifier.ready(status: "up"))
            #expect(notifier.watchdogMicroseconds == nil)
        }
    }

    @Test func theWatchdogAppliesOnlyToTheProcessItNames() {
        let mine = ServiceNotifier(
            socketPath: "/run/notify", watchdogMicroseconds: "30000000", watchdogPID: "42", ownPID: 42)
        #expect(mine.watchdogMicroseconds == 30_000_000)
        let unnamed = ServiceNotifier(socketPath: "/run/notify", watchdogMicroseconds: "30000000", ownPID: 42)
        #expect(unnamed.watchdogMicroseconds == 30_000_000)
        let other = ServiceNotifier(
            socketPath: "/run/notify", watchdogMicroseconds: "30000000", watchdogPID: "41", ownPID: 42)
        #expect(other.watchdogMicroseconds == nil)
        let off = ServiceNotifier(socketPath: "/run/notify", watchdogMicroseconds: "0", ownPID: 42)
        #expect(off.watchdogMicroseconds == nil)
    }
}
