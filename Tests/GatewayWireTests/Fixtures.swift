import GatewayWire
import NIOCore

/// Sample messages shared by the wire tests. Each one sets every kind of field its type has, so a bridge bug in any
/// field kind (string, bytes, nested message, repeated, enum, wrapper) changes the round-tripped value.
enum Fixtures {
    /// A `CompleteRequest` with every field set, including edge values: an empty string inside a repeated field,
    /// non-ASCII text, a wrapper set to zero (present, not absent), an unset wrapper and an enum value this build
    /// does not know.
    static var completeRequest: Aigw_V1_CompleteRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = "user-Ω-42"
        caller.orgId = "org-7"
        caller.endpoint = .translation

        var system = Aigw_V1_ChatMessage()
        system.role = .system
        system.content = "You are terse."
        var user = Aigw_V1_ChatMessage()
        user.role = .user
        user.content = "Übersetze: 你好, мир! 🚀\nsecond line\ttab"
        user.name = "ålice"
        var unknownRole = Aigw_V1_ChatMessage()
        unknownRole.role = .unrecognized(9)
        unknownRole.content = ""  // an empty message body

        var cache = Aigw_V1_CacheControl()
        cache.bypass = true
        cache.noStore = false
        cache.ttlSeconds = 0  // set, but zero: must stay present

        var r = Aigw_V1_CompleteRequest()
        r.requestId = "req-ü-1"
        r.caller = caller
        r.provider = .unrecognized(77)
        r.model = "gpt-4o-mini"
        r.fallbackModels = ["gpt-4o", "", "claude-3-5-haiku-latest"]
        r.systemPrompt = ""
        r.messages = [system, user, unknownRole]
        r.temperature = 0.0  // set to zero
        r.topP = nil  // unset
        r.maxTokens = 4096
        r.stop = ["\n\n", "END", "終"]
        r.responseFormat = .jsonObject
        r.cache = cache
        r.metadata = [label("team", "search"), label("ключ", "значение"), label("", "")]
        r.allowCrossProviderFallback = true
        return r
    }

    /// A second request that flips the presence of every optional: the wrappers set/unset the other way round.
    static var completeRequestOtherPresence: Aigw_V1_CompleteRequest {
        var r = Aigw_V1_CompleteRequest()
        r.requestId = "r2"
        r.provider = .anthropic
        r.temperature = nil
        r.topP = 0.95
        r.maxTokens = nil
        var cache = Aigw_V1_CacheControl()
        cache.ttlSeconds = nil
        cache.noStore = true
        r.cache = cache
        r.messages = [Aigw_V1_ChatMessage()]
        return r
    }

    static func label(_ key: String, _ value: String) -> Aigw_V1_Label {
        var l = Aigw_V1_Label()
        l.key = key
        l.value = value
        return l
    }

    /// Every byte value, with NULs at the start, in the middle and at the end.
    static var binaryPayload: [UInt8] {
        [0x00] + (0...255).map { UInt8($0) } + [0x00, 0x00, 0xff, 0x00]
    }

    /// One frame of each `kind`, plus a frame without a kind, every field of each kind set.
    static var frameOfEachKind: [Aigw_V1_Frame] {
        var hello = Aigw_V1_Hello()
        hello.minVersion = 1
        hello.maxVersion = 3
        hello.clientName = "python/0.1 ✓"

        var ack = Aigw_V1_HelloAck()
        ack.version = 1
        ack.serverVersion = "0.1.0"
        ack.maxFrameBytes = 4_194_304
        ack.maxConcurrentCalls = 1024

        var metadata = Aigw_V1_Metadata()
        metadata.requestId = "r-1"
        metadata.timeoutMs = 5000
        metadata.authToken = "tok€n"
        var request = Aigw_V1_Request()
        request.method = "/aigw.v1.Gateway/Complete"
        request.payload = completeRequest.serializedBytes()
        request.metadata = metadata

        var response = Aigw_V1_Response()
        response.payload = binaryPayload

        var item = Aigw_V1_StreamItem()
        item.payload = [0x00]

        var detail = Aigw_V1_ErrorDetail()
        detail.reason = "rate_limited"
        detail.category = .rateLimited
        detail.retryAfterMs = 1500
        detail.provider = .openai
        detail.model = "gpt-4o"
        var status = Aigw_V1_Status()
        status.code = .resourceExhausted
        status.message = "slow down"
        status.detail = detail

        var unknownStatus = Aigw_V1_Status()
        unknownStatus.code = .unrecognized(99)

        var ping = Aigw_V1_Ping()
        ping.nonce = .max
        var pong = Aigw_V1_Pong()
        pong.nonce = 42
        var goAway = Aigw_V1_GoAway()
        goAway.lastCallId = 9
        goAway.reason = "draining"

        return [
            .with(0, .hello(hello)),
            .with(0, .helloAck(ack)),
            .with(1, .request(request)),
            .with(2, .response(response)),
            .with(3, .streamItem(item)),
            .with(4, .status(status)),
            .with(5, .status(unknownStatus)),
            .with(.max, .cancel(Aigw_V1_Cancel())),
            .with(0, .ping(ping)),
            .with(0, .pong(pong)),
            .with(0, .goAway(goAway)),
            .with(17, .response(Aigw_V1_Response())),  // empty payload
            {
                var f = Aigw_V1_Frame()
                f.callId = 123_456_789
                return f
            }(),  // no kind
        ]
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        bytes.map { b in
            let s = String(b, radix: 16)
            return b < 16 ? "0" + s : s
        }.joined()
    }

    static func bytes(hex: String) -> [UInt8]? {
        let chars = Array(hex.utf8)
        guard chars.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 2)
        var i = 0
        while i < chars.count {
            guard let b = UInt8(String(decoding: chars[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            out.append(b)
            i += 2
        }
        return out
    }
}

extension ByteBuffer {
    /// The readable bytes as an array.
    var bytes: [UInt8] { getBytes(at: readerIndex, length: readableBytes) ?? [] }
}
