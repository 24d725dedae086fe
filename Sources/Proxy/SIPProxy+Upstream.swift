import SIP

extension SIPProxy {
    /// Whether `bytes`, arriving on `flowID`, is a softphone's request that would be refused now only because the
    /// connection to the PBX is down (the router's ``Router/Target/upstreamDown``). The I/O layer holds such a request for a bounded time
    /// while it connects, instead of handing it over at once; anything else (a response, OPTIONS to Sotto, a
    /// malformed request, a PBX's request) is handed over as it comes. Changes nothing.
    public func waitsForPBX(_ bytes: [UInt8], on flowID: FlowID) -> Bool {
        guard let flow = router.flow(flowID), flow.kind == .softphone,
            var request = try? SIPMessage(parsing: bytes), request.isRequest
        else { return false }
        guard case (.upstreamDown, _)? = try? router.route(&request, from: flow) else { return false }
        return true
    }
}
