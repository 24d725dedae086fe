import Dispatch
import Transport

/// `--floor`: calls through the benchmark's floor relay (`Benchmarks/compare/floor_relay.c`). No SIP, TLS or
/// SRTP: a call takes a free port pair of the floor relay, both its sides send a latch packet, and once the relay
/// has forwarded one (both legs latched) both send plain RTP at the codec's pace for the hold time; then the call
/// is over. Same pacing, packet sizes, loss and latency accounting, progress line and report as a SIP run; the
/// call's "setup" time is the latch round trip.
extension LoadRun {
    /// Runs the calls against the floor relay. Blocks until every call has ended.
    func executeFloor() throws(LoadgenError) {
        try pump.start()
        // Calls are made against a softphone, though none connects anywhere here.
        loop.queue.sync { phones = [Softphone(index: 0, run: self)] }
        runCalls()
    }

    /// Gives `call` a free port pair and has the pump latch both legs.
    func startFloorCall(_ call: Call) {
        guard let floor = settings.floor, let pair = floorPairs.take() else {
            fail(call, "no free floor port pair")
            return
        }
        call.floorPair = pair
        let ports = floor.ports(ofPair: pair)
        let phone = pump.plainEndpoint(side: .phone, call: call.media)
        let pbx = pump.plainEndpoint(side: .pbx, call: call.media)
        phone.destination = UDPAddress(ip: floor.ip, port: ports.phone)
        pbx.destination = UDPAddress(ip: floor.ip, port: ports.pbx)
        call.phoneEndpoint = phone
        call.pbxEndpoint = pbx
        call.inviteSentAt = pump.now()
        pump.submit(
            .latch(phone: phone, pbx: pbx) { [self] latchedAt in
                loop.execute { [self] in floorLatched(call, at: latchedAt) }
            })
    }

    /// The pump latched both legs of `call` at `time` (its clock), or gave up (nil): the call is up, or failed.
    private func floorLatched(_ call: Call, at time: UInt64?) {
        guard call.state == .inviting else { return }
        guard let time else {
            fail(call, "the floor relay forwarded no latch packet")
            return
        }
        call.result.status = 200
        call.result.setupMs = Double(time &- call.inviteSentAt) / 1e6
        call.state = .answered
        loop.queue.asyncAfter(deadline: .now() + settings.holdSeconds) { [self] in hangUp(call) }
    }
}
