import Dispatch
import TLS

#if canImport(Glibc)
    import Glibc
#endif

extension TLSStream {
    /// Socket reads per wakeup before yielding the loop to other streams (the source is
    /// level-triggered, so what is left fires again at once).
    static let readsPerWakeup = 4

    // MARK: Reading

    func handleReadable() {
        guard state == .handshaking || state == .open else { return }
        let scratch = loop.scratch
        var reads = 0
        while reads < Self.readsPerWakeup, state == .handshaking || state == .open {
            let count = Glibc.read(fd, scratch.baseAddress, scratch.count)
            if count > 0 {
                reads += 1
                lastReceive = loop.now()
                tls.feed(UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                advanceTLS()
                continue
            }
            if count == 0 {
                let during = state == .handshaking ? " during the TLS handshake" : ""
                finish(.closedByPeer, "\(peer) closed the TCP connection\(during)")
                return
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { return }
            finish(.ioError, "reading from \(peer) failed: \(errnoSentence(error))")
            return
        }
    }

    /// Runs the handshake, then drains every decrypted byte to the handler, then flushes.
    func advanceTLS() {
        if state == .handshaking {
            switch tls.handshake() {
            case .incomplete:
                flush()
                return
            case .failed(let error):
                // Send OpenSSL's alert so the peer learns why, then close.
                moveCiphertextToOutput()
                _ = writeOutput()
                finish(.handshakeFailed, error.reason)
                return
            case .complete:
                state = .open
                armTimer()  // from the handshake deadline to the idle one
                sendEarlyPlaintext()  // queued before the handshake, so it goes first
                guard state == .open else { return }
                handlers.onHandshake(self)
                guard state == .open else { return }
            }
        }
        let scratch = loop.scratch
        reading: while state == .open {
            switch tls.readPlaintext(into: scratch) {
            case .complete(let count):
                input.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[0..<count]))
                deliverInput()
            case .incomplete:
                break reading
            case .failed(let error):
                moveCiphertextToOutput()
                _ = writeOutput()
                finish(error.code == .closedByPeer ? .closedByPeer : .tlsError, error.reason)
                return
            }
        }
        if state == .open {
            flush()
        }
    }

    /// Offers the unconsumed plaintext to the handler and enforces the input limit.
    private func deliverInput() {
        let handlers = self.handlers
        let pending = input
        let consumed = pending.withUnsafeBytes { handlers.onData(self, $0) }
        guard state == .open else { return }
        input.removeFirst(min(max(consumed, 0), input.count))
        if input.count > limits.maxInputBytes {
            finish(
                .inputLimit,
                "\(peer) sent \(input.count) bytes that could not be processed, over the limit of "
                    + "\(limits.maxInputBytes)")
        }
    }

    // MARK: Writing

    func handleWritable() {
        switch state {
        case .connecting:
            completeConnect()
        case .handshaking, .open:
            flush()
        case .closed:
            return
        }
    }

    func moveCiphertextToOutput() {
        let pending = tls.pendingCiphertextCount
        guard pending > 0 else { return }
        output.append(contentsOf: tls.takeCiphertextToSend())
    }

    /// Writes what the socket takes now. Returns 0, or the errno of a socket error.
    func writeOutput() -> Int32 {
        while outputStart < output.count {
            let written = output.withUnsafeBytes { bytes in
                Glibc.send(fd, bytes.baseAddress! + outputStart, bytes.count - outputStart, Int32(MSG_NOSIGNAL))
            }
            if written > 0 {
                outputStart += written
                continue
            }
            let error = errno
            if error == EINTR { continue }
            if error == EAGAIN || error == EWOULDBLOCK { break }
            return error
        }
        if outputStart == output.count {
            output.removeAll(keepingCapacity: output.capacity <= 65_536)
            outputStart = 0
        } else if outputStart >= 65_536 {
            output.removeFirst(outputStart)
            outputStart = 0
        }
        return 0
    }

    /// Moves the TLS output to the socket; arms the write source while some is left, and closes
    /// the stream when a peer that does not read lets too much pile up.
    func flush() {
        guard state == .handshaking || state == .open else { return }
        moveCiphertextToOutput()
        let error = writeOutput()
        guard error == 0 else {
            finish(.ioError, "writing to \(peer) failed: \(errnoSentence(error))")
            return
        }
        let unsent = output.count - outputStart
        if unsent > limits.maxOutputBytes {
            finish(
                .outputLimit,
                "\(peer) left \(unsent) bytes unread, over the limit of \(limits.maxOutputBytes)")
            return
        }
        if unsent > 0 {
            armWrite()
        } else {
            disarmWrite()
        }
    }

    func armWrite() {
        guard let writeSource, !writeArmed else { return }
        writeArmed = true
        if writeActivated {
            writeSource.resume()
        } else {
            writeActivated = true
            writeSource.activate()
        }
    }

    func disarmWrite() {
        guard let writeSource, writeArmed, state != .closed else { return }
        writeArmed = false
        writeSource.suspend()
    }

    // MARK: Deadlines

    func armTimer() {
        guard let timer else { return }
        let deadline: UInt64
        switch state {
        case .connecting, .handshaking:
            deadline = phaseDeadline
        case .open:
            deadline = lastReceive &+ limits.idleTimeout.nanoseconds
        case .closed:
            return
        }
        timer.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), leeway: .milliseconds(5))
    }

    func timerFired() {
        let now = loop.now()
        switch state {
        case .connecting where now >= phaseDeadline:
            finish(.connectTimeout, "connecting to \(peer) took longer than \(limits.connectTimeout)")
            return
        case .handshaking where now >= phaseDeadline:
            finish(
                .handshakeTimeout, "\(peer) did not finish the TLS handshake within \(limits.handshakeTimeout)")
            return
        case .open where now &- lastReceive >= limits.idleTimeout.nanoseconds:
            finish(.idleTimeout, "\(peer) sent nothing for \(limits.idleTimeout)")
            return
        case .closed:
            return
        default:
            break
        }
        armTimer()
    }
}
