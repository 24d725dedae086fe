/// Where the proxy's bytes go: the I/O layer sends them on a flow. Implemented by ``SignallingServer``
/// over real TLS streams; unit tests record what would be sent.
public protocol ProxyTransport: AnyObject {
    /// Sends one serialised message on a flow; false when the flow is gone.
    func send(_ bytes: [UInt8], on flow: FlowID) -> Bool
}
