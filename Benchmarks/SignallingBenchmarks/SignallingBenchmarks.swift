// The signalling wire formats: SIP parse + serialise of a typical INVITE, and an SDP rewrite of one
// audio line, with messages/s and mallocs per message.
import Benchmark

let benchmarks: @Sendable () -> Void = {
    registerSIPBenchmarks()
    registerSDPBenchmarks()
}
