import SRTP
import SottoConfig
import TLS

extension Relay {
    /// `--check-config`: what start checks that needs no port and no file written: SRTP's self-tests, the
    /// listener's certificate and key (and the CA with mTLS), the upstream address and the TLS context toward
    /// the PBX, the admin roles and the admin socket's group. Nothing is bound and the audit log is not opened,
    /// so the check runs beside a Sotto that holds the ports and the log; whether the ports are free and the log
    /// is writable is learnt at start.
    static func check(config: SottoConfig) throws(StartError) {
        do {
            _ = try SRTPLibrary.start()
        } catch {
            throw StartError(description: "SRTP could not start: \(error)", isConfiguration: false)
        }
        _ = try serverContext(config, counters: TLSCounters())
        let upstreamAddress = try resolve(config.upstream.address)
        _ = try clientContext(config, serverName: upstreamAddress.host)
        _ = try adminAccess(config)
        _ = try adminSocketGroup(config)
    }
}
