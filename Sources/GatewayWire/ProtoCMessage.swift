/// A generated Swift message type that converts to and from its protobuf-c struct.
///
/// Encoding builds the C tree, packs it and frees the tree; decoding unpacks with protobuf-c, copies into Swift values
/// and frees the C tree. Swift values never hold C pointers, so they are plain `Sendable` values.
public protocol ProtoCMessage: Sendable {
    associatedtype CType
    init()
    init(c: UnsafePointer<CType>)
    func cMessage(_ allocator: ProtoAllocator) -> UnsafeMutablePointer<CType>
    static func cUnpack(_ allocator: ProtoAllocator, _ bytes: UnsafeRawBufferPointer) -> UnsafeMutablePointer<CType>?
    static func cFree(_ message: UnsafeMutablePointer<CType>, _ allocator: ProtoAllocator)
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
    public init(serializedBytes bytes: UnsafeRawBufferPointer, allocator: ProtoAllocator = .system) throws(ProtoDecodingError) {
        guard let m = Self.cUnpack(allocator, bytes) else {
            throw ProtoDecodingError(typeName: String(describing: Self.self), byteCount: bytes.count)
        }
        defer { Self.cFree(m, allocator) }
        self.init(c: m)
    }

    /// Decodes protobuf bytes.
    @inlinable
    public init(serializedBytes bytes: [UInt8], allocator: ProtoAllocator = .system) throws(ProtoDecodingError) {
        let decoded = bytes.withUnsafeBytes { raw in try? Self(serializedBytes: raw, allocator: allocator) }
        guard let decoded else {
            throw ProtoDecodingError(typeName: String(describing: Self.self), byteCount: bytes.count)
        }
        self = decoded
    }

    /// The encoded size and a writer that packs into a buffer of at least that size. The C tree lives until
    /// `body` returns, so callers can size a buffer first and pack straight into it.
    @inlinable
    public func withPacker<R>(
        allocator: ProtoAllocator = .system,
        _ body: (_ size: Int, _ pack: (UnsafeMutablePointer<UInt8>) -> Int) throws -> R
    ) rethrows -> R {
        let m = cMessage(allocator)
        defer { Self.cFree(m, allocator) }
        let size = Self.cPackedSize(m)
        return try body(size) { out in Self.cPack(m, out) }
    }

    /// Encodes to protobuf bytes.
    @inlinable
    public func serializedBytes(allocator: ProtoAllocator = .system) -> [UInt8] {
        withPacker(allocator: allocator) { size, pack in
            [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
                count = size == 0 ? 0 : pack(buffer.baseAddress!)
            }
        }
    }
}
