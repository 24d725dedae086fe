import Synchronization

/// The way captured payloads leave a media loop: one ring per loop, written only by that loop and read only by the
/// recording writer, allocated once at start. A push is a bounds check, two header stores and one copy; nothing
/// locks, allocates or waits. When the writer has fallen behind and the ring is full, the packet is not recorded
/// (counted as an overrun): the call never waits for the disk (docs/recording.md, "Capture").
///
/// Records are 8-byte aligned: a fixed header then the payload. A record that does not fit before the end of the
/// buffer is preceded by a wrap marker and written from the start.
public final class CaptureRing: @unchecked Sendable {
    /// The most payload one record carries; a longer payload is not recorded (no audio frame is that long).
    public static let maxPayload = 1500
    /// Bytes before the payload: length, handle, leg, stream, payload type, flags, sequence, payload length,
    /// timestamp, SSRC, arrival.
    static let headerSize = 32
    /// A handle no recording has: marks the rest of the buffer as unused until it wraps.
    static let wrapMarker: UInt32 = .max

    /// Its size in bytes (a power of two).
    public let capacity: Int
    private let mask: UInt64
    private let buffer: UnsafeMutableRawPointer
    /// Bytes written, ever (the loop's; read by the writer with acquire ordering).
    private let head = Atomic<UInt64>(0)
    /// Bytes consumed, ever (the writer's; read by the loop with acquire ordering).
    private let tail = Atomic<UInt64>(0)
    /// Packets the ring had no room for.
    private let overrunCount = Atomic<UInt64>(0)

    /// A ring of at least `bytes` (rounded up to a power of two, at least 64 KiB).
    public init(bytes: Int) {
        var size = 65_536
        while size < bytes { size <<= 1 }
        capacity = size
        mask = UInt64(size - 1)
        buffer = UnsafeMutableRawPointer.allocate(byteCount: size, alignment: 8)
        buffer.initializeMemory(as: UInt8.self, repeating: 0, count: size)
    }

    deinit { buffer.deallocate() }

    /// Packets dropped because the ring was full, since start.
    public var overruns: UInt64 { overrunCount.load(ordering: .relaxed) }

    /// Bytes written and not yet read.
    public var pendingBytes: Int {
        Int(head.load(ordering: .relaxed) &- tail.load(ordering: .relaxed))
    }

    private static func aligned(_ size: Int) -> Int { (size + 7) & ~7 }

    /// Copies one decrypted payload in, with its header fields. False (and counted) when there is no room or the
    /// payload is longer than ``maxPayload``. Called only on the ring's media loop.
    @inline(__always)
    public func push(
        handle: UInt32, leg: RecordedLeg, stream: UInt8, payloadType: UInt8, sequence: UInt16, timestamp: UInt32,
        ssrc: UInt32, arrival: UInt64, payload: UnsafeRawBufferPointer
    ) -> Bool {
        guard payload.count <= Self.maxPayload else {
            overrunCount.add(1, ordering: .relaxed)
            return false
        }
        let size = Self.aligned(Self.headerSize + payload.count)
        let written = head.load(ordering: .relaxed)
        let consumed = tail.load(ordering: .acquiring)
        var position = Int(written & mask)
        let untilEnd = capacity - position
        // Space needed: the record, plus what a wrap wastes at the end.
        let needed = untilEnd < size ? untilEnd + size : size
        guard UInt64(capacity) &- (written &- consumed) >= UInt64(needed) else {
            overrunCount.add(1, ordering: .relaxed)
            return false
        }
        var next = written
        if untilEnd < size {
            // Records are 8-aligned and the buffer a power of two, so at least 8 bytes remain for the marker.
            buffer.storeBytes(of: UInt32(untilEnd), toByteOffset: position, as: UInt32.self)
            buffer.storeBytes(of: Self.wrapMarker, toByteOffset: position + 4, as: UInt32.self)
            next &+= UInt64(untilEnd)
            position = 0
        }
        let record = buffer + position
        record.storeBytes(of: UInt32(size), as: UInt32.self)
        record.storeBytes(of: handle, toByteOffset: 4, as: UInt32.self)
        record.storeBytes(of: leg.rawValue, toByteOffset: 8, as: UInt8.self)
        record.storeBytes(of: stream, toByteOffset: 9, as: UInt8.self)
        record.storeBytes(of: payloadType, toByteOffset: 10, as: UInt8.self)
        record.storeBytes(of: 0, toByteOffset: 11, as: UInt8.self)
        record.storeBytes(of: sequence, toByteOffset: 12, as: UInt16.self)
        record.storeBytes(of: UInt16(payload.count), toByteOffset: 14, as: UInt16.self)
        record.storeBytes(of: timestamp, toByteOffset: 16, as: UInt32.self)
        record.storeBytes(of: ssrc, toByteOffset: 20, as: UInt32.self)
        record.storeBytes(of: arrival, toByteOffset: 24, as: UInt64.self)
        if let base = payload.baseAddress, payload.count > 0 {
            (record + Self.headerSize).copyMemory(from: base, byteCount: payload.count)
        }
        head.store(next &+ UInt64(size), ordering: .releasing)
        return true
    }

    /// Reads every record written so far, oldest first, and frees their space. The payload view is valid only
    /// during `body`. Called only by the writer.
    public func drain(_ body: (CapturedPacket) -> Void) -> Int {
        let written = head.load(ordering: .acquiring)
        var consumed = tail.load(ordering: .relaxed)
        var count = 0
        while consumed != written {
            let position = Int(consumed & mask)
            let record = UnsafeRawPointer(buffer + position)
            let size = Int(record.load(as: UInt32.self))
            let handle = record.load(fromByteOffset: 4, as: UInt32.self)
            if handle != Self.wrapMarker {
                let length = Int(record.load(fromByteOffset: 14, as: UInt16.self))
                body(
                    CapturedPacket(
                        handle: handle,
                        leg: RecordedLeg(rawValue: record.load(fromByteOffset: 8, as: UInt8.self)) ?? .pbx,
                        stream: record.load(fromByteOffset: 9, as: UInt8.self),
                        payloadType: record.load(fromByteOffset: 10, as: UInt8.self),
                        sequence: record.load(fromByteOffset: 12, as: UInt16.self),
                        timestamp: record.load(fromByteOffset: 16, as: UInt32.self),
                        ssrc: record.load(fromByteOffset: 20, as: UInt32.self),
                        arrival: record.load(fromByteOffset: 24, as: UInt64.self),
                        payload: UnsafeRawBufferPointer(start: record + Self.headerSize, count: length)))
                count += 1
            }
            consumed &+= UInt64(size)
            // Freed record by record, so the loop gets room back as soon as each is read.
            tail.store(consumed, ordering: .releasing)
        }
        return count
    }
}

/// One record read from a ``CaptureRing``; its payload points into the ring and is valid only while it is read.
public struct CapturedPacket {
    /// The recording it belongs to (the writer's handle).
    public var handle: UInt32
    public var leg: RecordedLeg
    public var stream: UInt8
    public var payloadType: UInt8
    public var sequence: UInt16
    public var timestamp: UInt32
    public var ssrc: UInt32
    /// The media loop's clock when the packet arrived (monotonic nanoseconds).
    public var arrival: UInt64
    public var payload: UnsafeRawBufferPointer
}
