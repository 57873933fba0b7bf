#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
@testable import GatewayWire
import NIOCore
import Testing

/// The per-operation arena the bridge builds and unpacks C trees in by default.
@Suite("ProtoArena")
struct ProtoArenaTests {
    @Test func allocationsAreAlignedDistinctAndSurviveOverflow() {
        // Sizes that straddle the scratch buffer, so later ones come from overflow blocks.
        let sizes = [0, 1, 15, 16, 17, 100, 7, 1000, 3, 900, 2048, 5, 70_000, 1, 33, 4096, 0, 64]
        #expect(sizes.reduce(0, +) > ProtoArena.scratchBytes * 4)
        let corrupted: [Int] = ProtoArena.with { arena in
            var blocks: [(UnsafeMutableRawPointer, Int)] = []
            for (i, size) in sizes.enumerated() {
                let p = arena.raw(size)
                #expect(Int(bitPattern: p) % 16 == 0, "allocation \(i) of \(size) bytes is not 16-byte aligned")
                // Fill every byte the caller asked for with a pattern unique to this allocation.
                p.initializeMemory(as: UInt8.self, repeating: UInt8(i + 1), count: max(size, 1))
                blocks.append((p, max(size, 1)))
            }
            // No later allocation overwrote an earlier one.
            return blocks.enumerated().compactMap { i, block in
                let bytes = UnsafeRawBufferPointer(start: block.0, count: block.1)
                return bytes.allSatisfy { $0 == UInt8(i + 1) } ? nil : i
            }
        }
        #expect(corrupted.isEmpty, "allocations overlapped: \(corrupted)")
    }

    /// A request whose C tree is far larger than the arena's scratch buffer: many nodes and a large string.
    static var hugeRequest: Aigw_V1_CompleteRequest {
        var r = Fixtures.completeRequest
        r.systemPrompt = String(repeating: "ß", count: 40_000)
        r.messages = (0..<500).map { i in
            var m = Aigw_V1_ChatMessage()
            m.role = i % 2 == 0 ? .user : .assistant
            m.content = "message \(i) " + String(repeating: "x", count: i)
            m.name = i % 7 == 0 ? "n\(i)" : ""
            return m
        }
        r.stop = (0..<300).map { "stop-\($0)" }
        r.metadata = (0..<200).map { Fixtures.label("k\($0)", "v\($0)") }
        return r
    }

    @Test func messagesLargerThanTheScratchBufferRoundTrip() throws {
        let request = Self.hugeRequest
        let bytes = request.serializedBytes()
        #expect(bytes.count > ProtoArena.scratchBytes * 10)
        #expect(bytes == request.serializedBytes(allocator: .system))
        #expect(try Aigw_V1_CompleteRequest(serializedBytes: bytes) == request)

        var response = Aigw_V1_Response()
        response.payload = (0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let frame = Aigw_V1_Frame.with(8, .response(response))
        var buffer = ByteBuffer()
        buffer.writeFrame(frame)
        #expect(buffer.readableBytes == 4 + frame.serializedBytes().count)
        let body = buffer.getSlice(at: 4, length: buffer.readableBytes - 4)!
        #expect(try Aigw_V1_Frame(frameBytes: body) == frame)
    }

    @Test func aFailedDecodeInTheArenaStillThrowsCleanly() throws {
        // Truncated after the huge system prompt was unpacked into overflow blocks.
        let bytes = Self.hugeRequest.serializedBytes()
        for cut in [bytes.count - 1, bytes.count / 2, 50_000] {
            #expect(throws: ProtoDecodingError.self) {
                _ = try Aigw_V1_CompleteRequest(serializedBytes: Array(bytes.prefix(cut)))
            }
        }
    }

    #if os(Linux)
    /// Resident memory of this process, from /proc/self/statm.
    static func residentBytes() throws -> Int {
        let statm = try String(contentsOfFile: "/proc/self/statm", encoding: .utf8)
        let fields = statm.split(separator: " ")
        let pages = try #require(fields.count > 1 ? Int(fields[1]) : nil)
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    @Test func overflowBlocksAreFreed() throws {
        // Every encode and decode of this frame needs a 64 KiB overflow block, filled with the payload. If the arena
        // kept them, 1,000 round trips would keep ~128 MB resident; the process must instead stay about where it was.
        var response = Aigw_V1_Response()
        response.payload = [UInt8](repeating: 0x5a, count: 64 * 1024)
        let frame = Aigw_V1_Frame.with(1, .response(response))
        for _ in 0..<20 { _ = try Aigw_V1_Frame(serializedBytes: frame.serializedBytes()) }  // warm up
        let before = try Self.residentBytes()
        var mismatches = 0
        for _ in 0..<1_000 {
            if try Aigw_V1_Frame(serializedBytes: frame.serializedBytes()).callId != 1 { mismatches += 1 }
        }
        let after = try Self.residentBytes()
        #expect(mismatches == 0)
        let growth = max(0, after - before)
        #expect(growth < 48 * 1024 * 1024, "resident memory grew by \(growth) bytes over 1,000 round trips")
    }
    #endif
}
