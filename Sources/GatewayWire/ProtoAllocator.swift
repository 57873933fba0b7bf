#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CGatewayProto
import CProtobufC

/// An allocator for the protobuf-c bridge that tests and special cases can supply.
///
/// By default the bridge builds and unpacks messages in a `ProtoArena`, which frees everything at once. Given a
/// `ProtoAllocator` instead, encoding builds the C tree with it and frees the tree through protobuf-c's own
/// `free_unpacked`, and decoding frees the same way, so a counting allocator proves the generated code frees every
/// node it allocates.
public final class ProtoAllocator: @unchecked Sendable {
    /// The C allocator handed to protobuf-c. Its address is stable for the allocator's lifetime.
    public let c: UnsafeMutablePointer<ProtobufCAllocator>

    /// Wraps C allocation functions; `data` is passed through to them unchanged.
    public init(
        alloc: @escaping @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer?,
        free: @escaping @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void,
        data: UnsafeMutableRawPointer? = nil
    ) {
        c = .allocate(capacity: 1)
        c.initialize(to: ProtobufCAllocator(alloc: alloc, free: free, allocator_data: data))
    }

    deinit {
        c.deallocate()
    }

    /// malloc and free: what protobuf-c uses when given no allocator.
    public static let system = ProtoAllocator(
        alloc: { _, size in malloc(size) },
        free: { _, pointer in free(pointer) }
    )

    /// The handle the generated code allocates through.
    @inlinable
    public var handle: CAllocator { CAllocator(c) }
}

/// A non-owning handle to a protobuf-c allocator, with the helpers the generated bridge uses to build C messages.
public struct CAllocator: @unchecked Sendable {
    public let c: UnsafeMutablePointer<ProtobufCAllocator>

    @inlinable
    public init(_ c: UnsafeMutablePointer<ProtobufCAllocator>) {
        self.c = c
    }

    @usableFromInline
    func raw(_ size: Int) -> UnsafeMutableRawPointer {
        guard let p = c.pointee.alloc(c.pointee.allocator_data, max(size, 1)) else {
            fatalError("protobuf bridge: out of memory allocating \(size) bytes")
        }
        return p
    }

    /// Allocates a C message, runs its generated `__init`, then lets `fill` set its fields.
    @inlinable
    public func message<T>(
        _ type: T.Type,
        _ initialize: (UnsafeMutablePointer<T>) -> Void,
        _ fill: (UnsafeMutablePointer<T>) -> Void = { _ in }
    ) -> UnsafeMutablePointer<T> {
        let p = raw(MemoryLayout<T>.stride).bindMemory(to: T.self, capacity: 1)
        initialize(p)
        fill(p)
        return p
    }

    /// A NUL-terminated copy of `s`, as protobuf-c expects string fields to be.
    @inlinable
    public func string(_ s: String) -> UnsafeMutablePointer<CChar> {
        var s = s
        return s.withUTF8 { utf8 in
            let p = raw(utf8.count + 1).bindMemory(to: CChar.self, capacity: utf8.count + 1)
            if let base = utf8.baseAddress {
                UnsafeMutableRawPointer(p).copyMemory(from: base, byteCount: utf8.count)
            }
            p[utf8.count] = 0
            return p
        }
    }

    /// A copy of `bytes`; empty data is represented by a NULL pointer, as protobuf-c does.
    @inlinable
    public func bytes(_ bytes: [UInt8]) -> ProtobufCBinaryData {
        guard !bytes.isEmpty else { return ProtobufCBinaryData(len: 0, data: nil) }
        let p = raw(bytes.count).bindMemory(to: UInt8.self, capacity: bytes.count)
        bytes.withUnsafeBufferPointer { p.initialize(from: $0.baseAddress!, count: bytes.count) }
        return ProtobufCBinaryData(len: bytes.count, data: p)
    }

    /// A C array holding `convert` of each element, with its count, for a repeated field.
    @inlinable
    public func array<S, C>(_ values: [S], _ convert: (S) -> C) -> (Int, UnsafeMutablePointer<C>?) {
        guard !values.isEmpty else { return (0, nil) }
        let p = raw(MemoryLayout<C>.stride * values.count).bindMemory(to: C.self, capacity: values.count)
        for (i, v) in values.enumerated() {
            (p + i).initialize(to: convert(v))
        }
        return (values.count, p)
    }
}

