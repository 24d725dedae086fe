import Dispatch
import Glibc

/// The live progress line: one `\r`-rewritten line on a terminal, a plain line each second otherwise
/// (on standard error, so that standard output carries only the report).
final class Progress: @unchecked Sendable {
    private let run: LoadRun
    private let queue = DispatchQueue(label: "loadgen-progress")
    private var timer: DispatchSourceTimer?
    private let terminal = isatty(2) != 0
    private var lastCalls = 0
    private var lastPackets = 0

    init(run: LoadRun) { self.run = run }

    func start() {
        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + 1, repeating: .seconds(1))
        timer.setEventHandler { [self] in tick() }
        self.timer = timer
        timer.resume()
    }

    func stop() {
        queue.sync {
            timer?.cancel()
            if terminal { write("\n") }
        }
    }

    private func tick() {
        let (up, started, done) = run.loop.queue.sync { (run.active, run.started, run.ended.count) }
        let sent = run.pump.totals.sent.load(ordering: .relaxed)
        let received = run.pump.totals.received.load(ordering: .relaxed)
        let auth = run.pump.totals.authFailures.load(ordering: .relaxed)
        let rate = started - lastCalls
        let packets = sent + received - lastPackets
        lastCalls = started
        lastPackets = sent + received
        // In flight counts as not yet received, so this is an upper bound while calls run.
        let loss = sent > 0 ? max(0, 100 * Double(sent - received) / Double(sent)) : 0
        let line =
            "calls up \(up), started \(started), ended \(done), \(rate) calls/s, \(packets) packets/s, "
            + "sent \(sent), received \(received), unreceived \(LoadgenReport.format(loss, 2)) %, auth failures \(auth)"
        write(terminal ? "\r\u{1B}[K" + line : line + "\n")
    }

    private func write(_ text: String) {
        var bytes = Array(text.utf8)
        _ = bytes.withUnsafeMutableBytes { Glibc.write(2, $0.baseAddress, $0.count) }
    }
}
