import Foundation
import Testing

@testable import FakeUpstream

@Suite struct BehaviourParsingTests {
    @Test(arguments: [
        "ok", "reset", "no-response", "missing-done", "slow-first-token:500", "cut:3", "stall:0", "malformed:2",
        "error-event:2", "status:429", "status:500", "status:429:retry-after=2", "status:429:retry-after-ms=1500",
        "status:500:should-retry=false", "quota", "overloaded", "auth", "context-length", "rate-limit",
        "server-error", "unavailable", "not-found", "permission", "invalid-request", "status:503:kind=overloaded",
        "rate-limit:retry-after=1:retry-after-ms=250:should-retry=true",
        "status:429:type=tokens:code=rate_limit_exceeded:message=Slow down: please",
    ])
    func canonicalStringsRoundTrip(text: String) throws {
        let behaviour = try FakeBehaviour(parsing: text)
        #expect(behaviour.description == text)
        #expect(try FakeBehaviour(parsing: behaviour.description) == behaviour)
    }

    @Test func stringsMeanWhatTheySay() throws {
        #expect(try FakeBehaviour(parsing: "ok") == .ok)
        #expect(try FakeBehaviour(parsing: " ok ") == .ok)
        #expect(try FakeBehaviour(parsing: "status:429") == .status(429))
        #expect(try FakeBehaviour(parsing: "status:429:retry-after=2") == .status(429, .init(retryAfterSeconds: 2)))
        #expect(
            try FakeBehaviour(parsing: "status:429:retry-after-ms=1500")
                == .status(429, .init(retryAfterMilliseconds: 1500))
        )
        #expect(try FakeBehaviour(parsing: "status:500:should-retry=false") == .status(500, .init(shouldRetry: false)))
        #expect(try FakeBehaviour(parsing: "quota") == .quotaExceeded)
        #expect(try FakeBehaviour(parsing: "overloaded") == .overloaded)
        #expect(try FakeBehaviour(parsing: "auth") == .unauthorized)
        #expect(try FakeBehaviour(parsing: "context-length") == .contextLengthExceeded)
        #expect(try FakeBehaviour(parsing: "not-found") == .modelNotFound)
        #expect(try FakeBehaviour(parsing: "permission") == .forbidden)
        #expect(try FakeBehaviour(parsing: "unavailable") == .serviceUnavailable)
        #expect(try FakeBehaviour(parsing: "server-error") == .serverError())
        #expect(try FakeBehaviour(parsing: "rate-limit:retry-after=4") == .rateLimited(retryAfterSeconds: 4))
        #expect(try FakeBehaviour(parsing: "reset") == .resetConnection)
        #expect(try FakeBehaviour(parsing: "no-response") == .noResponse)
        #expect(try FakeBehaviour(parsing: "slow-first-token:500") == .slowFirstToken(milliseconds: 500))
        #expect(try FakeBehaviour(parsing: "cut:3") == .cutStream(afterPieces: 3))
        #expect(try FakeBehaviour(parsing: "stall:3") == .stallStream(afterPieces: 3))
        #expect(try FakeBehaviour(parsing: "malformed:2") == .malformedChunk(afterPieces: 2))
        #expect(try FakeBehaviour(parsing: "missing-done") == .missingDone)
        #expect(try FakeBehaviour(parsing: "error-event:2") == .midStreamError(afterPieces: 2))
        #expect(
            try FakeBehaviour(parsing: "status:400:message=a:b:c")
                == .status(400, .init(message: "a:b:c")),
            "message= keeps its colons"
        )
    }

    @Test(arguments: [
        "", "bogus", "OK", "status", "status:", "status:200", "status:600", "status:abc", "status:429:retry-after=x",
        "status:429:retry-after=-1", "status:429:frob=1", "status:429:retry-after", "quota:kind=overloaded",
        "status:429:kind=automatic", "status:429:kind=nope", "status:429:retry-after=1:retry-after=2",
        "status:500:should-retry=maybe", "cut", "cut:", "cut:-1", "cut:x", "cut:1:2", "ok:1", "reset:now",
        "slow-first-token", "automatic",
    ])
    func badStringsAreRejected(text: String) {
        #expect(throws: FakeBehaviour.ParseError.self) { try FakeBehaviour(parsing: text) }
    }

    @Test func parseErrorsSayWhatIsWrong() {
        do {
            _ = try FakeBehaviour(parsing: "cut:x")
            Issue.record("expected an error")
        } catch {
            #expect("\(error)".contains("cut:x"))
            #expect("\(error)".contains("non-negative integer"))
        }
    }

    @Test func errorKindsResolveFromStatus() {
        #expect(FakeError().resolvedKind(status: 429) == .rateLimit)
        #expect(FakeError().resolvedKind(status: 529) == .overloaded)
        #expect(FakeError().resolvedKind(status: 503) == .unavailable)
        #expect(FakeError().resolvedKind(status: 502) == .unavailable)
        #expect(FakeError().resolvedKind(status: 500) == .server)
        #expect(FakeError().resolvedKind(status: 401) == .authentication)
        #expect(FakeError().resolvedKind(status: 422) == .invalidRequest)
        #expect(FakeError.quota.resolvedKind(status: 429) == .quota)
    }
}

@Suite struct DefaultReplyTests {
    @Test func piecesAreWordsWithLeadingSpaces() {
        #expect(FakeReply.words(of: "You said: hello world") == ["You", " said:", " hello", " world"])
        #expect(FakeReply.words(of: "  a \n\t b  ") == ["a", " b"])
        #expect(FakeReply.words(of: "") == [])
        let reply = FakeReply.defaultReply(forLastUserMessage: "", systemAndMessages: ["", "  "])
        #expect(reply.pieces == ["You", " said:"])
        #expect(reply.inputTokens == 0)
        #expect(reply.cachedInputTokens == 0)
        #expect(reply.cacheWriteTokens == 0)
        let counted = FakeReply.defaultReply(forLastUserMessage: "b c", systemAndMessages: ["sys tem", "a", "b c"])
        #expect(counted.text == "You said: b c")
        #expect(counted.outputTokens == 4)
        #expect(counted.inputTokens == 5)
    }

    @Test func truncationKeepsTheFirstPieces() {
        let reply = FakeReply(pieces: ["a", "b", "c"], inputTokens: 1)
        #expect(reply.truncated(toMaxTokens: 2).pieces == ["a", "b"])
        #expect(reply.truncated(toMaxTokens: 3) == reply)
        #expect(reply.truncated(toMaxTokens: nil) == reply)
    }
}

@Suite struct JSONValueTests {
    @Test func parsesEveryKindOfValue() throws {
        let json = try JSONValue(
            parsing: #" {"s":"a\"b\\c\n\u00e9\ud83d\ude00","i":-12,"d":1.5e2,"#
                + #""t":true,"f":false,"n":null,"a":[1,[]],"o":{}} "#
        )
        #expect(json["s"] == .string("a\"b\\c\né😀"))
        #expect(json["i"] == .int(-12))
        #expect(json["d"] == .double(150))
        #expect(json["d"]?.intValue == 150)
        #expect(json["t"] == .bool(true))
        #expect(json["f"]?.boolValue == false)
        #expect(json["n"] == .null)
        #expect(json["a"] == .array([.int(1), .array([])]))
        #expect(json["o"] == .object([]))
        #expect(json["missing"] == nil)
        #expect(try JSONValue(parsing: "\"é\"") == .string("é"))
    }

    @Test(arguments: [
        "", "{", "[1,]", "{\"a\":}", "{\"a\" 1}", "tru", "01", "1.", "-", "\"unterminated", "\"bad \\x escape\"",
        "{\"a\":1} x", "[1 2]", "\"raw\ncontrol\"", "{'a':1}",
    ])
    func rejectsInvalidJSON(text: String) {
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: text) }
    }

    @Test func limitsNesting() throws {
        let deep = String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: JSONValue.ParseError.self) { try JSONValue(parsing: deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect(throws: Never.self) { try JSONValue(parsing: fine) }
    }

    @Test func serializesCompactlyInOrderWithEscapes() throws {
        let value = JSONValue.object([
            "z": .string("q\"\\\n\u{01}é"), "a": .array([.int(1), .double(2.5), .null, .bool(false)]),
            "o": .object([:]),
        ])
        #expect(value.serialized == #"{"z":"q\"\\\n\u0001é","a":[1,2.5,null,false],"o":{}}"#)
        #expect(try JSONValue(parsing: value.serialized) == value)
    }
}

@Suite struct SSEFramerTests {
    private let events = (0..<9).map {
        SSEFramer.Item(event: SSEEvent(name: $0 % 2 == 0 ? "e\($0)" : nil, data: "{\"n\":\($0)}"), delayMilliseconds: 0)
    }

    private func writes(_ steps: [ResponseStep]) -> [[UInt8]] {
        steps.compactMap { if case .body(let bytes) = $0 { bytes } else { nil } }
    }

    @Test func plainIsOneEventPerWrite() {
        let steps = SSEFramer(style: .plain).steps(for: events)
        let writes = writes(steps)
        #expect(writes.count == events.count)
        #expect(String(decoding: writes[0], as: UTF8.self) == "event: e0\ndata: {\"n\":0}\n\n")
        #expect(String(decoding: writes[1], as: UTF8.self) == "data: {\"n\":1}\n\n")
        #expect(steps.filter { $0 == .flush }.count == events.count)
    }

    @Test func messyIsTheSameEventsInRealWorldFraming() {
        let steps = SSEFramer(style: .messy).steps(for: events)
        let messyWrites = writes(steps).map { String(decoding: $0, as: UTF8.self) }
        let all = messyWrites.joined()
        #expect(all.contains("\r\n"))
        #expect(!all.replacingOccurrences(of: "\r\n", with: "").contains("\n"), "every line ends in CRLF")
        #expect(all.contains(": keep-alive\r\n\r\n"))
        #expect(all.contains(": fake-upstream comment"))
        #expect(all.contains("}  \r\n"), "trailing spaces after some data values")
        #expect(
            messyWrites.contains { $0.components(separatedBy: "data:").count - 1 == 2 && $0.hasSuffix("\r\n\r\n") },
            "two whole events in one write"
        )
        #expect(messyWrites.contains { !$0.hasSuffix("\r\n\r\n") }, "an event split across writes")
        #expect(steps.contains(.delay(milliseconds: 1)), "the first split is flushed apart in time")
        #expect(steps.last == .flush)
        // Parsed, it is exactly the plain events (data values trimmed of the trailing spaces).
        let plain = ParsedSSE(writes(SSEFramer(style: .plain).steps(for: events)).flatMap { $0 })
        let messy = ParsedSSE(Array(all.utf8))
        #expect(messy.names == plain.names)
        #expect(messy.events.map { $0.data.trimmingCharacters(in: .whitespaces) } == plain.events.map(\.data))
        #expect(messy.events.count == events.count)
    }

    @Test func delaysComeBeforeTheirEvent() {
        var items = Array(events.prefix(3))
        items[2].delayMilliseconds = 40
        for style in [FakeSSEStyle.plain, .messy] {
            let steps = SSEFramer(style: style).steps(for: items)
            let delayIndex = try! #require(steps.firstIndex(of: .delay(milliseconds: 40)))
            let before = writes(Array(steps[..<delayIndex])).map { String(decoding: $0, as: UTF8.self) }.joined()
            #expect(!before.contains("\"n\":2"), "\(style): event 2 is not sent before its delay")
            #expect(before.contains("\"n\":1"), "\(style): event 1 is flushed before the delay")
        }
    }
}
