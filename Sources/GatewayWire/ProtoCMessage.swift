/// A generated Swift message type that converts to and from its protobuf-c struct.
///
/// Encoding builds the C tree, packs it and releases the tree; decoding unpacks with protobuf-c, copies into Swift
/// values and releases the C tree. Swift values never hold C pointers, so they are plain `Sendable` values. Without an
/// explicit allocator the C tree lives in a `ProtoArena`.
public protocol ProtoCMessage: Sendable {
    associatedtype CType
    init()
    init(c: UnsafePointer<CType>)
    func cMessage(_ allocator: CAllocator) -> UnsafeMutablePointer<CType>
    static func cUnpack(_ allocator: CAllocator, _ bytes: UnsafeRawBufferPointer) -> UnsafeMutablePointer<CType>?
    static func cFree(_ message: UnsafeMutablePointer<CType>, _ allocator: CAllocator)
    static func cPackedSize(_ message: UnsafePointer<CType>) -> Int
    static func cPack(_ message: UnsafePointer<CType>, _ out: UnsafeMutablePointer<UInt8>) -> Int
}

/// A payload that protobuf-c could not decode.
public struct ProtoDecodingError: Error, Hashable, Sendable, CustomStringConvertible {
    public var typeName: String
    public var byteCount: Int

    @inlinable
    public init(typeName: String, byteCount: Int) {
        self.typeName = typeName
        self.byteCount = byteCount
    }

    public var description: String {
        "malformed \(typeName) (\(byteCount) bytes)"
    }
}

extension ProtoCMessage {
    /// Decodes protobuf bytes.
    @inlinable
    public init(serializedBytes bytes: UnsafeRawBufferPointer) throws(ProtoDecodingError) {
        let decoded: Self? = ProtoArena.with { arena in Self.cUnpack(arena, bytes).map { Self(c: $0) } }
        guard let decoded else {
            throw ProtoDecodingError(typeName: String(describing: Self.self), byteCount: bytes.count)
        }
        self = decoded
    }

    /// Decodes protobuf bytes, unpacking with `allocator` and freeing through protobuf-c.
    @inlinable
    public init(serializedBytes bytes: UnsafeRawBufferPointer, allocator: ProtoAllocator) throws(ProtoDecodingError) {
        guard let m = Self.cUnpack(allocator.handle, bytes) else {
            throw ProtoDecodingError(typeName: String(describing: Self.self), byteCount: bytes.count)
        }
        defer { Self.cFree(m, allocator.handle) }
        self.init(c: m)
    }

    /// Decodes protobuf bytes.
    @inlinable
    public init(serializedBytes bytes: [UInt8]) throws(ProtoDecodingError) {
        let decoded = bytes.withUnsafeBytes { raw in try? Self(serializedBytes: raw) }
        guard let decoded else {
            throw ProtoDecodingError(typeName: String(describing: Self.self), byteCount: bytes.count)
        }
        self = decoded
    }

    /// Decodes protobuf bytes with `allocator`.
    @inlinable
    public init(serializedBytes bytes: [UInt8], allocator: ProtoAllocator) throws(ProtoDecodingError) {
        let decoded = bytes.withUnsafeBytes { raw in try? Self(serializedBytes: raw, allocator: allocator) }
        guard let decoded else {
            throw ProtoDecodingError(typeName: String(describing: Self.self), byteCount: bytes.count)
        }
        self = decoded
    }

    /// The encoded size and a writer that packs into a buffer of at least that size. The C tree lives until
    /// `body` returns, so callers can size a buffer first and pack straight into it.
    @inlinable
    public func withPacker<R>(_ body: (_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) throws -> R)
        rethrows -> R
    {
        try ProtoArena.with { arena in
            let m = cMessage(arena)
            let size = Self.cPackedSize(m)
            return try body(size) { out in Self.cPack(m, out) }
        }
    }

    /// `withPacker` with the C tree built by `allocator` and freed through protobuf-c.
    @inlinable
    public func withPacker<R>(
        allocator: ProtoAllocator, _ body: (_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) throws -> R
    ) rethrows -> R {
        let m = cMessage(allocator.handle)
        defer { Self.cFree(m, allocator.handle) }
        let size = Self.cPackedSize(m)
        return try body(size) { out in Self.cPack(m, out) }
    }

    /// Encodes to protobuf bytes.
    @inlinable
    public func serializedBytes() -> [UInt8] {
        withPacker { size, pack in Self.bytes(size, pack) }
    }

    /// Encodes to protobuf bytes, building the C tree with `allocator`.
    @inlinable
    public func serializedBytes(allocator: ProtoAllocator) -> [UInt8] {
        withPacker(allocator: allocator) { size, pack in Self.bytes(size, pack) }
    }

    @inlinable
    static func bytes(_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
            count = size == 0 ? 0 : pack(buffer.baseAddress!)
        }
    }
}
