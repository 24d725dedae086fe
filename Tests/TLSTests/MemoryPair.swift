import TLS

/// A client and a server connection wired back to back in memory: no sockets, so every handshake
/// outcome is deterministic.
struct MemoryPair {
    let client: TLSConnection
    let server: TLSConnection

    init(client clientContext: TLSContext, server serverContext: TLSContext, serverName: String? = nil) throws {
        client = try TLSConnection(context: clientContext, peer: "server.test:5061", serverName: serverName)
        server = try TLSConnection(context: serverContext, peer: "127.0.0.1:40000")
    }

    /// The outcome of driving both handshakes until neither makes progress.
    struct Outcome {
        var client: TLSResult<Void> = .incomplete
        var server: TLSResult<Void> = .incomplete
    }

    /// Moves ciphertext both ways and advances both handshakes until both are done or stuck.
    @discardableResult
    func handshake() -> Outcome {
        var outcome = Outcome()
        for _ in 0..<20 {
            // A side that is done keeps its first outcome; the alert it sent still travels.
            if client.handshakeState == .inProgress { outcome.client = client.handshake() }
            server.feed(client.takeCiphertextToSend())
            if server.handshakeState == .inProgress { outcome.server = server.handshake() }
            client.feed(server.takeCiphertextToSend())
            if client.handshakeState != .inProgress && server.handshakeState != .inProgress
                && client.pendingCiphertextCount == 0
            {
                break
            }
        }
        return outcome
    }

    /// Sends `bytes` from `sender` and reads what arrives at `receiver` (after any leftovers).
    static func transfer(_ bytes: [UInt8], from sender: TLSConnection, to receiver: TLSConnection) -> TLSResult<[UInt8]>
    {
        switch sender.writePlaintext(bytes) {
        case .complete: break
        case .incomplete: return .incomplete
        case .failed(let error): return .failed(error)
        }
        receiver.feed(sender.takeCiphertextToSend())
        return read(receiver)
    }

    /// Everything `receiver` can decrypt now.
    static func read(_ receiver: TLSConnection) -> TLSResult<[UInt8]> {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let result = buffer.withUnsafeMutableBytes { receiver.readPlaintext(into: $0) }
            switch result {
            case .complete(let count): received += buffer[0..<count]
            case .incomplete: return .complete(received)
            case .failed(let error): return received.isEmpty ? .failed(error) : .complete(received)
            }
        }
    }
}

extension TLSResult {
    var error: TLSError? {
        if case .failed(let error) = self { return error }
        return nil
    }

    var isIncomplete: Bool {
        if case .incomplete = self { return true }
        return false
    }

    var isComplete: Bool {
        if case .complete = self { return true }
        return false
    }
}
