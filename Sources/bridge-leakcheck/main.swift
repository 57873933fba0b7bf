// A synchronous workout of the protobuf-c bridge for `make leak-check`, which runs it under valgrind. valgrind
// cannot follow Swift concurrency threads, so this stays on the main thread and touches no event loop.
import GatewayWire

func populatedRequest(_ i: Int) -> Aigw_V1_CompleteRequest {
    var caller = Aigw_V1_Caller()
    caller.userId = "user-\(i)-with-a-name-longer-than-fifteen-bytes"
    caller.orgId = "org-Ω"
    caller.endpoint = .summarize
    var message = Aigw_V1_ChatMessage()
    message.role = .user
    message.content = String(repeating: "token ", count: 10 + i % 50)
    var label = Aigw_V1_Label()
    label.key = "team"
    label.value = "search"
    var cache = Aigw_V1_CacheControl()
    cache.ttlSeconds = 60
    var r = Aigw_V1_CompleteRequest()
    r.requestId = "req-\(i)"
    r.caller = caller
    r.model = "gpt-4o-mini"
    r.fallbackModels = ["gpt-4o", "claude-3-5-haiku-latest"]
    r.systemPrompt = "Be brief."
    r.messages = Array(repeating: message, count: 1 + i % 4)
    r.temperature = 0.2
    r.maxTokens = 256
    r.stop = ["\n\n"]
    r.cache = cache
    r.metadata = [label]
    r.provider = i % 7 == 0 ? .unrecognized(42) : .openai
    return r
}

func frames(_ i: Int) -> [Aigw_V1_Frame] {
    var request = Aigw_V1_Request()
    request.method = Aigw_V1_Gateway.complete.path
    request.payload = populatedRequest(i).serializedBytes()
    var metadata = Aigw_V1_Metadata()
    metadata.requestId = "r-\(i)"
    metadata.timeoutMs = 5000
    metadata.authToken = "token-\(i)"
    request.metadata = metadata
    var status = Aigw_V1_Status()
    status.code = .resourceExhausted
    status.message = "limit"
    var detail = Aigw_V1_ErrorDetail()
    detail.reason = "rate_limited"
    detail.retryAfterMs = 1000
    status.detail = detail
    var response = Aigw_V1_Response()
    response.payload = Array(repeating: UInt8(i & 0xff), count: 5000)  // beyond the arena's scratch space
    var hello = Aigw_V1_Hello()
    hello.minVersion = 1
    hello.maxVersion = 1
    hello.clientName = "leakcheck"
    return [
        .with(UInt64(i), .request(request)), .status(UInt64(i), status), .with(UInt64(i), .response(response)),
        .with(0, .hello(hello)), .with(UInt64(i), .cancel(Aigw_V1_Cancel())),
    ]
}

var mismatches = 0
for i in 0..<300 {
    let request = populatedRequest(i)
    for allocator in [nil, ProtoAllocator.system] as [ProtoAllocator?] {
        let bytes = allocator.map { request.serializedBytes(allocator: $0) } ?? request.serializedBytes()
        let decoded = try allocator.map { try Aigw_V1_CompleteRequest(serializedBytes: bytes, allocator: $0) }
            ?? Aigw_V1_CompleteRequest(serializedBytes: bytes)
        if decoded != request { mismatches += 1 }
        // Truncated input fails midway through unpacking: whatever was allocated must still be released.
        if (try? Aigw_V1_CompleteRequest(serializedBytes: Array(bytes.prefix(bytes.count - 3)))) != nil { mismatches += 1 }
    }
    for frame in frames(i) {
        let bytes = frame.serializedBytes()
        if try Aigw_V1_Frame(serializedBytes: bytes) != frame { mismatches += 1 }
        if try Aigw_V1_Frame(serializedBytes: bytes, allocator: .system) != frame { mismatches += 1 }
    }
}
print("bridge-leakcheck: 300 rounds, \(mismatches) mismatches")
if mismatches > 0 { fatalError("round trips changed values") }
