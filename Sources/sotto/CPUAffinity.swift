internal import CSottoNet
import SottoConfig

/// The CPUs this process may run on: its affinity mask (`taskset`, systemd's `CPUAffinity=`, a container's
/// cpuset), not the machine's count. One media loop per allowed CPU; more would only take turns.
enum CPUAffinity {
    /// How many CPUs the affinity mask allows, or nil when it cannot be read.
    static func allowedCount() -> Int? {
        let count = Int(CSottoNet_allowed_cpu_count())
        return count > 0 ? count : nil
    }
}

extension SottoConfig {
    /// `media.loops`, with 0 meaning one loop per CPU the process may run on.
    var effectiveMediaLoops: Int {
        media.loops > 0 ? media.loops : max(1, CPUAffinity.allowedCount() ?? 1)
    }
}
