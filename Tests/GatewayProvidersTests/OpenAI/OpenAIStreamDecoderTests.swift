import GatewayCore
import GatewayProviders
import Testing

@Suite("OpenAI translator: streams")
struct OpenAIStreamDecoderTests {
    let translator = OpenAITranslator(apiKey: "sk-test")
    typealias Support = TranslatorTestSupport

    static let recordedEvents: [CompletionEvent] = [
        .started(id: "chatcmpl-123", model: "gpt-4o-mini"),
        .delta("Hello"),
        .delta(" wörld 🌍"),
        .delta("!\n"),
        .finished(.stop, TokenUsage(input: 86, cachedInput: 1920, output: 300)),
    ]

    @Test func theRecordedStreamDecodesTheSameHoweverItIsCut() {
        for (name, chunks) in Support.everyChunking(OpenAIFixtures.stream) {
            let (events, error) = Support.replay(translator, chunks, model: "gpt-4o-mini")
            #expect(error == nil, "\(name)")
            #expect(events == Self.recordedEvents, "\(name)")
        }
    }

    @Test func crlfLineEndingsDecodeTheSame() {
        let wire = OpenAIFixtures.stream.replacingOccurrences(of: "\n", with: "\r\n")
        let (events, error) = Support.replay(translator, [Array(wire.utf8)], model: "gpt-4o-mini")
        #expect(error == nil)
        #expect(events == Self.recordedEvents)
    }

    @Test func theDecoderTracksUsageAndTheEnd() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o-mini")
        #expect(decoder.provider == .openai)
        #expect(decoder.model == "gpt-4o-mini")
        let chunks = OpenAIFixtures.stream.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        #expect(chunks.count == 7)
        for chunk in chunks.dropLast() {
            _ = try decoder.consume(SSEEvent(data: String(chunk.dropFirst("data: ".count))))
            #expect(!decoder.isFinished)
        }
        #expect(decoder.usageSoFar == TokenUsage(input: 86, cachedInput: 1920, output: 300))
        let last = try decoder.consume(SSEEvent(data: "[DONE]"))
        #expect(last == [.finished(.stop, TokenUsage(input: 86, cachedInput: 1920, output: 300))])
        #expect(decoder.isFinished)
        // Anything after the terminal event is ignored.
        #expect(try decoder.consume(SSEEvent(data: #"{"choices":[{"delta":{"content":"late"}}]}"#)) == [])
        #expect(try decoder.consume(SSEEvent(data: "garbage")) == [])
        #expect(throws: Never.self) { try decoder.finish() }
    }

    @Test(arguments: ["[DONE]", "[DONE]   ", "  [DONE]", "[DONE]\t", " [DONE] \n"])
    func doneIsComparedAfterTrimming(_ data: String) throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        _ = try decoder.consume(
            SSEEvent(
                data: #"{"id":"c","model":"gpt-4o","choices":[{"delta":{"content":"x"},"finish_reason":"length"}]}"#))
        #expect(try decoder.consume(SSEEvent(data: data)) == [.finished(.length, .zero)])
        #expect(decoder.isFinished)
    }

    @Test func trailingSpacesOnTheDoneLineOfTheWire() {
        let wire =
            "data: {\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]   \n\n"
        let (events, error) = Support.replay(translator, [Array(wire.utf8)], model: "gpt-4o")
        #expect(error == nil)
        #expect(events == [.started(id: "c", model: "gpt-4o"), .delta("a"), .finished(.stop, .zero)])
    }

    @Test func aStreamWithoutDoneIsNotFinished() throws {
        let wire = OpenAIFixtures.stream.replacingOccurrences(of: "data: [DONE]\n\n", with: "")
        var reader = translator.makeStreamReader(model: "gpt-4o-mini")
        var events: [CompletionEvent] = []
        try reader.feed(Array(wire.utf8)) { events.append($0) }
        #expect(events == Array(Self.recordedEvents.dropLast()))
        #expect(!reader.isFinished)
        let error = #expect(throws: ProviderError.self) { try reader.finish() }
        #expect(error?.category == .network)
        #expect(error?.upstreamCode == "incomplete_stream")
        #expect(error?.usage == TokenUsage(input: 86, cachedInput: 1920, output: 300))
        #expect(error?.provider == .openai)
    }

    @Test func doneWithoutChunksStillStartsAndFinishes() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        #expect(
            try decoder.consume(SSEEvent(data: "[DONE]")) == [
                .started(id: "", model: "gpt-4o"), .finished(.other, .zero),
            ])
    }

    @Test func contentInTheFirstChunkIsNotLost() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        let events = try decoder.consume(
            SSEEvent(
                data:
                    #"{"id":"c9","model":"gpt-4o-2024-08-06","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"}}]}"#
            ))
        #expect(events == [.started(id: "c9", model: "gpt-4o-2024-08-06"), .delta("Hi")])
    }

    @Test func onlyTheFirstChoiceIsStreamed() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        let events = try decoder.consume(
            SSEEvent(
                data: #"{"id":"c","choices":[{"index":1,"delta":{"content":"B"}},{"index":0,"delta":{"content":"A"}}]}"#
            ))
        #expect(events == [.started(id: "c", model: "gpt-4o"), .delta("A")])
    }

    @Test func refusalDeltasAreStreamedAsText() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        _ = try decoder.consume(
            SSEEvent(data: #"{"id":"c","choices":[{"delta":{"role":"assistant","content":null,"refusal":""}}]}"#))
        #expect(
            try decoder.consume(SSEEvent(data: #"{"id":"c","choices":[{"delta":{"refusal":"I can't"}}]}"#)) == [
                .delta("I can't")
            ])
    }

    @Test func unknownFieldsAndEmptyChunksAreIgnored() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        _ = try decoder.consume(SSEEvent(data: #"{"id":"c","choices":[]}"#))
        let events = try decoder.consume(
            SSEEvent(
                data:
                    #"{"id":"c","new_field":{"nested":[1,2,{"x":null}]},"choices":[{"delta":{"tool_calls":[{"index":0}]},"logprobs":{"content":[]}}],"usage":null}"#
            ))
        #expect(events == [])
        #expect(decoder.usageSoFar == .zero)
    }

    @Test(arguments: [
        "{\"id\":\"c\",\"choices\":[{\"delta\":{\"content\":\"tru", "not json", "{}}",
        "{\"choices\":[{\"delta\":{\"content\":7}}]}",
        "",
    ])
    func aMalformedChunkIsAServerErrorWithTheUsageSoFar(_ data: String) throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        _ = try decoder.consume(
            SSEEvent(data: #"{"id":"c","choices":[],"usage":{"prompt_tokens":10,"completion_tokens":3}}"#))
        let error = #expect(throws: ProviderError.self) { try decoder.consume(SSEEvent(data: data)) }
        #expect(error?.category == .serverError)
        #expect(error?.upstreamCode == "malformed_stream")
        #expect(error?.usage == TokenUsage(input: 10, output: 3))
        #expect(error?.message.hasPrefix("unreadable stream chunk") == true)
    }

    @Test(arguments: [
        (
            #"{"error":{"message":"The server had an error while processing your request.","type":"server_error","param":null,"code":null}}"#,
            ProviderErrorCategory.serverError, "server_error"
        ),
        (
            #"{"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"#,
            .rateLimited, "rate_limit_exceeded"
        ),
        (
            #"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","code":"insufficient_quota"}}"#,
            .quotaExhausted, "insufficient_quota"
        ),
        (
            #"{"error":{"message":"Too long","type":"invalid_request_error","code":"context_length_exceeded"}}"#,
            .invalidRequest, "context_length_exceeded"
        ),
        (#"{"error":{"message":"Overloaded","type":"overloaded_error","code":null}}"#, .overloaded, "overloaded_error"),
        (
            #"{"error":{"message":"Something new","type":"brand_new_error","code":null}}"#, .serverError,
            "brand_new_error"
        ),
    ])
    func aMidStreamErrorIsClassifiedWithTheUsageSoFar(_ data: String, _ category: ProviderErrorCategory, _ code: String)
        throws
    {
        var reader = translator.makeStreamReader(model: "gpt-4o")
        var events: [CompletionEvent] = []
        let wire = """
            data: {"id":"c","model":"gpt-4o","choices":[{"delta":{"content":"Hel"}}],"usage":{"prompt_tokens":12,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":2}}}

            data: \(data)

            data: {"id":"c","choices":[{"delta":{"content":"never"}}]}


            """
        let error = #expect(throws: ProviderError.self) { try reader.feed(Array(wire.utf8)) { events.append($0) } }
        #expect(events == [.started(id: "c", model: "gpt-4o"), .delta("Hel")])
        #expect(error?.category == category)
        #expect(error?.upstreamCode == code)
        #expect(error?.usage == TokenUsage(input: 10, cachedInput: 2, output: 1))
        #expect(error?.httpStatus == nil)
        #expect(error?.provider == .openai && error?.model == "gpt-4o")
    }

    @Test func anErrorEventWithoutAnErrorObjectStillFails() throws {
        var decoder = translator.makeStreamDecoder(model: "gpt-4o")
        let error = #expect(throws: ProviderError.self) {
            try decoder.consume(SSEEvent(event: "error", data: #"{"message":"boom"}"#))
        }
        #expect(error?.category == .serverError)
        #expect(error?.upstreamCode == "stream_error")
    }

    @Test func anOversizedEventIsAServerError() throws {
        var reader = translator.makeStreamReader(model: "gpt-4o", maxEventBytes: 1024)
        let huge = "data: {\"choices\":[{\"delta\":{\"content\":\"\(String(repeating: "a", count: 2000))\"}}]}\n\n"
        let error = #expect(throws: ProviderError.self) { try reader.feed(Array(huge.utf8)) { _ in } }
        #expect(error?.category == .serverError)
        #expect(error?.upstreamCode == "event_too_large")
        #expect(error?.message.contains("1024") == true)
    }

    @Test func commentsAndKeepAlivesBetweenChunksAreIgnored() {
        let wire =
            ": OPENROUTER PROCESSING\n\n"
            + OpenAIFixtures.stream.replacingOccurrences(of: "\n\n", with: "\n: keep-alive\n\n")
        let (events, error) = Support.replay(translator, [Array(wire.utf8)], model: "gpt-4o-mini")
        #expect(error == nil)
        #expect(events == Self.recordedEvents)
    }
}
