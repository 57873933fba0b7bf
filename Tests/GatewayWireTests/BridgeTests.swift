#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
@testable import GatewayWire
import Testing

/// The protobuf-c bridge: Swift value → C tree → bytes → C tree → Swift value must be the identity, and every
/// allocation the bridge makes must be freed.
@Suite("protobuf-c bridge")
struct BridgeTests {
    /// Encodes and decodes through both bridge paths: the default per-operation arena (what production uses) and an
    /// explicit `ProtoAllocator` (C tree freed by protobuf-c). Both must give the same bytes and the same value.
    static func roundTrip<M: ProtoCMessage & Equatable>(
        _ message: M, sourceLocation: SourceLocation = #_sourceLocation
    ) throws -> M {
        let bytes = message.serializedBytes()
        let viaAllocator = message.serializedBytes(allocator: .system)
        #expect(bytes == viaAllocator, "the arena and allocator paths encode differently", sourceLocation: sourceLocation)
        let decoded = try M(serializedBytes: bytes)
        let decodedViaAllocator = try M(serializedBytes: bytes, allocator: .system)
        #expect(decoded == decodedViaAllocator, "the arena and allocator paths decode differently",
                sourceLocation: sourceLocation)
        return decoded
    }

    /// Encodes and decodes with `allocator` only.
    static func roundTrip<M: ProtoCMessage & Equatable>(_ message: M, allocator: ProtoAllocator) throws -> M {
        let bytes = message.serializedBytes(allocator: allocator)
        return try M(serializedBytes: bytes, allocator: allocator)
    }

    @Test func aFullyPopulatedCompleteRequestRoundTrips() throws {
        let request = Fixtures.completeRequest
        let back = try Self.roundTrip(request)
        #expect(back == request)
        // Spot checks that would make a silently "equal" default value obvious.
        #expect(back.provider == .unrecognized(77))
        #expect(back.temperature == 0.0)
        #expect(back.topP == nil)
        #expect(back.maxTokens == 4096)
        #expect(back.cache?.ttlSeconds == 0)
        #expect(back.fallbackModels == ["gpt-4o", "", "claude-3-5-haiku-latest"])
        #expect(back.messages[1].content == "Übersetze: 你好, мир! 🚀\nsecond line\ttab")
        #expect(back.messages[2].role == .unrecognized(9))
        #expect(back.metadata.count == 3)
    }

    @Test func theOppositePresenceRoundTrips() throws {
        let request = Fixtures.completeRequestOtherPresence
        let back = try Self.roundTrip(request)
        #expect(back == request)
        #expect(back.temperature == nil)
        #expect(back.topP == 0.95)
        #expect(back.maxTokens == nil)
        #expect(back.cache?.ttlSeconds == nil)
        #expect(back.caller == nil)
        #expect(back.messages == [Aigw_V1_ChatMessage()])
    }

    @Test func anEmptyMessageEncodesToNothingAndBack() throws {
        let bytes = Aigw_V1_CompleteRequest().serializedBytes()
        #expect(bytes.isEmpty)
        #expect(try Aigw_V1_CompleteRequest(serializedBytes: bytes) == Aigw_V1_CompleteRequest())
    }

    @Test func aNestedMessageWithEveryFieldRoundTrips() throws {
        // EnqueueRequest nests a CompleteRequest; Job nests a CompleteResponse with repeated attempts.
        var enqueue = Aigw_V1_EnqueueRequest()
        enqueue.request = Fixtures.completeRequest
        enqueue.priority = .background
        enqueue.maxAttempts = 5
        enqueue.timeoutMs = .max
        enqueue.idempotencyKey = "idem-🔑"
        #expect(try Self.roundTrip(enqueue) == enqueue)

        var attempt = Aigw_V1_Attempt()
        attempt.provider = .openai
        attempt.model = "gpt-4o"
        attempt.statusCode = -1
        attempt.errorCategory = .overloaded
        attempt.errorMessage = "529"
        attempt.latencyMs = 1234
        var usage = Aigw_V1_Usage()
        usage.inputTokens = 10
        usage.cachedInputTokens = 2
        usage.cacheWriteTokens = 3
        usage.outputTokens = .max
        var result = Aigw_V1_CompleteResponse()
        result.requestId = "r"
        result.id = "chatcmpl-1"
        result.provider = .anthropic
        result.model = "claude"
        result.content = "ok"
        result.finishReason = .toolCalls
        result.usage = usage
        result.costNanoUsd = .min
        result.cacheHit = true
        result.fallbackUsed = true
        result.attempts = [attempt, Aigw_V1_Attempt(), attempt]
        result.latencyMs = 5
        var job = Aigw_V1_Job()
        job.jobId = "j"
        job.priority = .critical
        job.state = .retrying
        job.attempts = 2
        job.maxAttempts = 3
        job.lastError = "boom"
        job.createdAtUnixMs = -5
        job.updatedAtUnixMs = .max
        job.result = result
        #expect(try Self.roundTrip(job) == job)
    }

    @Test func aRepeatedScalarRoundTrips() throws {
        var alert = Aigw_V1_BudgetAlert()
        alert.id = "a"
        alert.notifyAtPercent = [50, 75, 90, 100, 0, .max]
        alert.period = .monthly
        alert.limitNanoUsd = -1
        alert.enabled = true
        #expect(try Self.roundTrip(alert) == alert)
    }

    @Test(arguments: Fixtures.frameOfEachKind)
    func aFrameOfEachKindRoundTrips(frame: Aigw_V1_Frame) throws {
        #expect(try Self.roundTrip(frame) == frame)
    }

    @Test func theFixtureCoversEveryKind() {
        var seen: Set<String> = []
        for frame in Fixtures.frameOfEachKind {
            switch frame.kind {
            case .hello: seen.insert("hello")
            case .helloAck: seen.insert("helloAck")
            case .request: seen.insert("request")
            case .response: seen.insert("response")
            case .streamItem: seen.insert("streamItem")
            case .status: seen.insert("status")
            case .cancel: seen.insert("cancel")
            case .ping: seen.insert("ping")
            case .pong: seen.insert("pong")
            case .goAway: seen.insert("goAway")
            case nil: seen.insert("none")
            }
        }
        #expect(seen.count == 11)
    }

    @Test func binaryBytesWithNULsRoundTrip() throws {
        var echo = Aigw_V1_EchoRequest()
        echo.payload = Fixtures.binaryPayload
        let back = try Self.roundTrip(echo)
        #expect(back.payload == Fixtures.binaryPayload)
        #expect(back.payload.count == 261)

        // A payload of only NULs is not "empty".
        echo.payload = [0, 0, 0]
        #expect(try Self.roundTrip(echo).payload == [0, 0, 0])
        // The encoding is field 1, length 3, then the bytes.
        #expect(echo.serializedBytes() == [0x0a, 0x03, 0, 0, 0])
    }

    /// Values no enum of the contract defines (the largest known one is StatusCode's 16).
    @Test(arguments: [Int32(77), 17, 1000, Int32.max, -1, Int32.min])
    func unknownEnumValuesSurvive(value: Int32) throws {
        var request = Aigw_V1_CompleteRequest()
        request.provider = .unrecognized(value)
        request.responseFormat = .unrecognized(value)
        var caller = Aigw_V1_Caller()
        caller.endpoint = .unrecognized(value)
        request.caller = caller
        let back = try Self.roundTrip(request)
        #expect(back.provider == .unrecognized(value))
        #expect(back.provider.rawValue == value)
        #expect(back.responseFormat == .unrecognized(value))
        #expect(back.caller?.endpoint == .unrecognized(value))

        var status = Aigw_V1_Status()
        status.code = .unrecognized(value)
        let frame = Aigw_V1_Frame.status(1, status)
        let decoded = try Self.roundTrip(frame)
        guard case .status(let s)? = decoded.kind else {
            Issue.record("lost the status kind")
            return
        }
        #expect(s.code == .unrecognized(value))
    }

    @Test func knownEnumValuesDecodeToTheirCases() throws {
        // `rawValue` and `init(rawValue:)` agree for every case, so a known value never becomes `.unrecognized`.
        for code in Aigw_V1_StatusCode.allCases {
            #expect(Aigw_V1_StatusCode(rawValue: code.rawValue) == code)
        }
        #expect(Aigw_V1_StatusCode.allCases.map(\.rawValue) == Array(0...16))
        #expect(Aigw_V1_StatusCode(rawValue: 17) == .unrecognized(17))
    }

    @Test(arguments: [
        [0xff, 0xff, 0xff, 0xff, 0xff],  // an unterminated varint tag
        [0x0a, 0x05, 0x61],  // a string field longer than the input
        [0x12, 0x7f, 0x0a],  // a nested message longer than the input
        [0x0f],  // wire type 7 does not exist
    ] as [[UInt8]])
    func malformedBytesThrow(bytes: [UInt8]) throws {
        let error = #expect(throws: ProtoDecodingError.self) {
            _ = try Aigw_V1_CompleteRequest(serializedBytes: bytes)
        }
        #expect(error?.byteCount == bytes.count)
        #expect(error?.typeName == "Aigw_V1_CompleteRequest")
        // The raw-pointer overload and the explicit-allocator path fail the same way.
        #expect(throws: ProtoDecodingError.self) {
            _ = try bytes.withUnsafeBytes { try Aigw_V1_CompleteRequest(serializedBytes: $0) }
        }
        #expect(throws: ProtoDecodingError.self) {
            _ = try Aigw_V1_CompleteRequest(serializedBytes: bytes, allocator: .system)
        }
    }

    @Test func aTruncatedEncodingThrows() throws {
        let bytes = Fixtures.completeRequest.serializedBytes()
        #expect(bytes.count > 40)
        // A cut inside a length-delimited field (here the first one, request_id) fails instead of yielding a
        // partial message.
        for cut in 1..<6 {
            #expect(throws: ProtoDecodingError.self) {
                _ = try Aigw_V1_CompleteRequest(serializedBytes: Array(bytes.prefix(cut)))
            }
            #expect(throws: ProtoDecodingError.self) {
                _ = try Aigw_V1_CompleteRequest(serializedBytes: Array(bytes.prefix(cut)), allocator: .system)
            }
        }
    }

    // MARK: Leak check

    /// Counts the calls a `ProtoAllocator` makes. One per test, reached through `allocator_data`.
    struct AllocationCounts {
        var allocations = 0
        var frees = 0
        var live: Int { allocations - frees }
    }

    /// A malloc/free allocator that counts through `allocator_data`.
    static func countingAllocator(_ counts: UnsafeMutablePointer<AllocationCounts>) -> ProtoAllocator {
        ProtoAllocator(
            alloc: { data, size in
                data!.assumingMemoryBound(to: AllocationCounts.self).pointee.allocations += 1
                return malloc(size)
            },
            free: { data, pointer in
                guard let pointer else { return }
                data!.assumingMemoryBound(to: AllocationCounts.self).pointee.frees += 1
                free(pointer)
            },
            data: UnsafeMutableRawPointer(counts)
        )
    }

    @Test func theCountingAllocatorCounts() {
        // The leak check is only meaningful if the counter sees allocations at all.
        let counts = UnsafeMutablePointer<AllocationCounts>.allocate(capacity: 1)
        counts.initialize(to: AllocationCounts())
        defer { counts.deallocate() }
        let allocator = Self.countingAllocator(counts)
        let bytes = Fixtures.completeRequest.serializedBytes(allocator: allocator)
        #expect(!bytes.isEmpty)
        #expect(counts.pointee.allocations > 10)
        #expect(counts.pointee.live == 0)
    }

    @Test func encodingAndDecodingLeakNothing() throws {
        let counts = UnsafeMutablePointer<AllocationCounts>.allocate(capacity: 1)
        counts.initialize(to: AllocationCounts())
        defer { counts.deallocate() }
        let allocator = Self.countingAllocator(counts)

        let request = Fixtures.completeRequest
        let other = Fixtures.completeRequestOtherPresence
        let frames = Fixtures.frameOfEachKind
        var echo = Aigw_V1_EchoRequest()
        echo.payload = Fixtures.binaryPayload
        var enqueue = Aigw_V1_EnqueueRequest()
        enqueue.request = request
        let truncated = Array(request.serializedBytes().dropLast(7))

        var mismatches = 0
        for _ in 0..<1_000 {
            if try Self.roundTrip(request, allocator: allocator) != request { mismatches += 1 }
            if try Self.roundTrip(other, allocator: allocator) != other { mismatches += 1 }
            if try Self.roundTrip(echo, allocator: allocator) != echo { mismatches += 1 }
            if try Self.roundTrip(enqueue, allocator: allocator) != enqueue { mismatches += 1 }
            for frame in frames {
                if try Self.roundTrip(frame, allocator: allocator) != frame { mismatches += 1 }
            }
            // A failed decode frees what it had built, too.
            if (try? Aigw_V1_CompleteRequest(serializedBytes: truncated, allocator: allocator)) != nil {
                mismatches += 1
            }
        }
        #expect(mismatches == 0)
        #expect(counts.pointee.allocations > 0)
        #expect(counts.pointee.allocations == counts.pointee.frees, "leaked \(counts.pointee.live) allocations")
    }

    @Test func withPackerLeaksNothing() throws {
        let counts = UnsafeMutablePointer<AllocationCounts>.allocate(capacity: 1)
        counts.initialize(to: AllocationCounts())
        defer { counts.deallocate() }
        let allocator = Self.countingAllocator(counts)
        for frame in Fixtures.frameOfEachKind {
            let size = frame.withPacker(allocator: allocator) { size, pack in
                var out = [UInt8](repeating: 0, count: size + 1)
                let written = out.withUnsafeMutableBufferPointer { pack($0.baseAddress!) }
                #expect(written == size)
                #expect(Array(out.prefix(size)) == frame.serializedBytes())
                return size
            }
            #expect(size == frame.serializedBytes().count)
        }
        #expect(counts.pointee.allocations > 0)
        #expect(counts.pointee.live == 0)
    }
}
