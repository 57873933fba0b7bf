#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import CGatewayProto
import CProtobufC

/// A bump allocator for one encode or decode: every C node of the message comes from one scratch buffer and is
/// released at once when the operation ends, instead of one malloc and free per string, array and sub-message.
///
/// The buffer is a temporary allocation (on the stack when small enough); messages that outgrow it continue in
/// malloc'd overflow blocks, which are freed with it. protobuf-c's `free` callbacks are no-ops here.
public enum ProtoArena {
    @usableFromInline
    struct State {
        @usableFromInline var cursor: UnsafeMutableRawPointer
        @usableFromInline var end: UnsafeMutableRawPointer
        /// Overflow blocks, each starting with a pointer to the previous one.
        @usableFromInline var overflow: UnsafeMutableRawPointer?

        @usableFromInline
        init(cursor: UnsafeMutableRawPointer, end: UnsafeMutableRawPointer, overflow: UnsafeMutableRawPointer?) {
            self.cursor = cursor
            self.end = end
            self.overflow = overflow
        }
    }

    /// Bytes of scratch space before overflow blocks are used.
    @usableFromInline
    static let scratchBytes = 2048

    @usableFromInline
    static let headerBytes = (MemoryLayout<ProtobufCAllocator>.stride + MemoryLayout<State>.stride + 15) & ~15

    /// Runs `body` with an arena allocator that is valid only inside it. Inlinable, so every caller gets a copy
    /// specialized for its result type: unspecialized, each call looked up generic metadata at run time.
    @inlinable
    public static func with<R>(_ body: (CAllocator) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(byteCount: headerBytes + scratchBytes, alignment: 16) { buffer in
            let base = buffer.baseAddress!
            let allocator = base.bindMemory(to: ProtobufCAllocator.self, capacity: 1)
            let state = (base + MemoryLayout<ProtobufCAllocator>.stride).bindMemory(to: State.self, capacity: 1)
            state.initialize(to: State(cursor: base + headerBytes, end: base + headerBytes + scratchBytes, overflow: nil))
            allocator.initialize(to: ProtobufCAllocator(alloc: arenaAlloc, free: arenaFree, allocator_data: state))
            defer { releaseOverflow(state) }
            return try body(CAllocator(allocator))
        }
    }

    @usableFromInline
    static func releaseOverflow(_ state: UnsafeMutablePointer<State>) {
        var block = state.pointee.overflow
        while let current = block {
            block = current.load(as: UnsafeMutableRawPointer?.self)
            free(current)
        }
    }

}

@usableFromInline
let arenaAlloc: @convention(c) (UnsafeMutableRawPointer?, Int) -> UnsafeMutableRawPointer? = { data, size in
    let state = data!.assumingMemoryBound(to: ProtoArena.State.self)
    let rounded = (max(size, 1) + 15) & ~15
    if state.pointee.end - state.pointee.cursor >= rounded {
        let p = state.pointee.cursor
        state.pointee.cursor += rounded
        return p
    }
    guard let block = malloc(rounded + 16) else { return nil }
    block.storeBytes(of: state.pointee.overflow, as: UnsafeMutableRawPointer?.self)
    state.pointee.overflow = block
    return block + 16
}

@usableFromInline
let arenaFree: @convention(c) (UnsafeMutableRawPointer?, UnsafeMutableRawPointer?) -> Void = { _, _ in }
