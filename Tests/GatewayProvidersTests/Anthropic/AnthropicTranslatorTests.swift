import GatewayCore
import GatewayProviders
import Testing

@Suite("Anthropic translator: requests and responses")
struct AnthropicTranslatorTests {
    let translator = AnthropicTranslator(apiKey: "sk-ant-test")
    typealias Support = TranslatorTestSupport

    @Test func encodesEveryFieldInAnthropicsShape() throws {
        let request = CompletionRequest(
            model: "claude-3-5-sonnet", systemPrompt: "You are terse.",
            messages: [
                ChatMessage(role: .user, content: "Hi", name: "alice"),
                ChatMessage(role: .assistant, content: "Hello."),
                ChatMessage(role: .system, content: "Mid-conversation rule."),
                ChatMessage(role: .tool, content: "42"),
            ],
            temperature: 0.7, topP: 0.9, maxTokens: 256, stop: ["\n\nHuman:", "END"])
        let encoded = try translator.encode(request, model: "claude-3-5-sonnet-20241022", stream: false)

        #expect(encoded.method == "POST")
        #expect(encoded.path == "/messages")
        #expect(AnthropicTranslator.defaultBaseURL == "https://api.anthropic.com/v1")
        let body = try Support.json(encoded.body)
        #expect(body["model"] as? String == "claude-3-5-sonnet-20241022")
        #expect(body["max_tokens"] as? Int == 256)
        #expect(body["system"] as? String == "You are terse.\n\nMid-conversation rule.")
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["user", "assistant", "user"])
        #expect(messages.map { $0["content"] as? String } == ["Hi", "Hello.", "42"])
        #expect(messages.allSatisfy { Set($0.keys) == ["role", "content"] })
        #expect(body["temperature"] as? Double == 0.7)
        #expect(body["top_p"] as? Double == 0.9)
        #expect(body["stop_sequences"] as? [String] == ["\n\nHuman:", "END"])
        #expect(body["stream"] as? Bool == false)
        #expect(body["stop"] == nil && body["response_format"] == nil)

        #expect(encoded.header("x-api-key") == "sk-ant-test")
        #expect(encoded.header("anthropic-version") == "2023-06-01")
        #expect(encoded.header("content-type") == "application/json")
        #expect(encoded.header("authorization") == nil)
    }

    @Test func omitsEveryUnsetOptionalButMaxTokens() throws {
        let encoded = try translator.encode(Support.request(), model: "claude-3-5-haiku-20241022", stream: false)
        let body = try Support.json(encoded.body)
        #expect(Set(body.keys) == ["model", "max_tokens", "messages", "stream"])
        #expect(body["max_tokens"] as? Int == 4096)

        let custom = AnthropicTranslator(apiKey: "k", version: "2024-01-01", defaultMaxTokens: 1024)
        let customEncoded = try custom.encode(Support.request(), model: "claude-3-haiku-20240307", stream: false)
        #expect(try Support.json(customEncoded.body)["max_tokens"] as? Int == 1024)
        #expect(customEncoded.header("anthropic-version") == "2024-01-01")
    }

    @Test func streamingSetsStreamAndAcceptsEventStream() throws {
        let encoded = try translator.encode(Support.request(), model: "claude-3-opus-20240229", stream: true)
        let body = try Support.json(encoded.body)
        #expect(body["stream"] as? Bool == true)
        #expect(body["stream_options"] == nil)
        #expect(encoded.header("Accept") == "text/event-stream")
    }

    @Test func jsonObjectAppendsAnInstructionToTheSystemPrompt() throws {
        var request = Support.request(system: "Extract the fields.")
        request.responseFormat = .jsonObject
        let body = try Support.json(
            try translator.encode(request, model: "claude-3-5-sonnet-20241022", stream: false).body)
        #expect(body["system"] as? String == "Extract the fields.\n\n" + AnthropicTranslator.jsonObjectInstruction)
        #expect(body["response_format"] == nil)

        var bare = Support.request()
        bare.responseFormat = .jsonObject
        let bareBody = try Support.json(try translator.encode(bare, model: "m", stream: false).body)
        #expect(bareBody["system"] as? String == AnthropicTranslator.jsonObjectInstruction)
    }

    @Test func emptySystemPartsAreLeftOut() throws {
        let request = Support.request(
            system: "", [ChatMessage(role: .system, content: ""), ChatMessage(role: .user, content: "x")])
        let body = try Support.json(try translator.encode(request, model: "m", stream: false).body)
        #expect(body["system"] == nil)
    }

    @Test func textIsEscapedSoItRoundTrips() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t nul \u{0} unicode é 🌍"
        let request = Support.request(system: tricky, [ChatMessage(role: .user, content: tricky)])
        let body = try Support.json(try translator.encode(request, model: "m", stream: false).body)
        #expect(body["system"] as? String == tricky)
        #expect((body["messages"] as? [[String: Any]])?.first?["content"] as? String == tricky)
    }

    @Test func requestsThatCannotBeSentAreInvalid() {
        let systemOnly = CompletionRequest(
            model: "m", systemPrompt: "s", messages: [ChatMessage(role: .system, content: "only system")])
        let e1 = #expect(throws: ProviderError.self) { try translator.encode(systemOnly, model: "m", stream: false) }
        #expect(e1?.category == .invalidRequest)
        #expect(e1?.provider == .anthropic)

        var infinite = Support.request()
        infinite.topP = .infinity
        let e2 = #expect(throws: ProviderError.self) { try translator.encode(infinite, model: "m", stream: false) }
        #expect(e2?.category == .invalidRequest)
        #expect(e2?.message.contains("top_p") == true)
    }

    @Test func decodesTheRecordedMessage() throws {
        let completion = try translator.decodeResponse(
            Array(AnthropicFixtures.message.utf8), model: "claude-3-5-sonnet")
        #expect(completion.id == "msg_013Zva2CMHLNnXjNJJKqJ2EF")
        #expect(completion.provider == .anthropic)
        #expect(completion.model == "claude-3-5-sonnet-20241022")
        #expect(completion.content == "Hi! My name is Claude.")
        #expect(completion.finishReason == .stop)
        #expect(completion.usage == TokenUsage(input: 21, cachedInput: 1800, cacheWrite: 188_086, output: 393))
    }

    @Test func onlyTextBlocksAreConcatenated() throws {
        let body = """
            {"id":"msg_1","type":"message","role":"assistant","model":"claude-3-5-sonnet-20241022","content":[{"type":"text","text":"Let me check. "},{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"location":"SF","text":"no"}},{"type":"text","text":"Done."}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":20}}
            """
        let completion = try translator.decodeResponse(Array(body.utf8), model: "m")
        #expect(completion.content == "Let me check. Done.")
        #expect(completion.finishReason == .toolCalls)
        #expect(completion.usage == TokenUsage(input: 10, output: 20))
    }

    static let stopReasons: [(String, FinishReason)] = [
        ("\"end_turn\"", .stop), ("\"stop_sequence\"", .stop), ("\"max_tokens\"", .length),
        ("\"tool_use\"", .toolCalls),
        ("\"refusal\"", .contentFilter), ("\"pause_turn\"", .other), ("null", .other),
    ]

    @Test(arguments: stopReasons)
    func mapsStopReasons(_ raw: String, _ expected: FinishReason) throws {
        let body = #"{"id":"m","type":"message","content":[{"type":"text","text":"x"}],"stop_reason":\#(raw)}"#
        #expect(try translator.decodeResponse(Array(body.utf8), model: "m").finishReason == expected)
    }

    @Test(arguments: [
        "", "<html>", "{", #"{"id":"m","content":[{"type":"text","text":"x"}"#, #"{"id":"m"}"#, "[]",
        #"{"content":[{"type":"text","text":5}]}"#, #"{"content":[]} extra"#,
    ])
    func unreadableResponsesAreServerErrors(_ body: String) {
        let error = #expect(throws: ProviderError.self) { try translator.decodeResponse(Array(body.utf8), model: "m") }
        #expect(error?.category == .serverError)
        #expect(error?.upstreamCode == "malformed_response")
        #expect(error?.provider == .anthropic)
    }

    @Test func anErrorDocumentInA2xxBodyIsClassified() {
        let body = AnthropicFixtures.error("overloaded_error", "Overloaded")
        let error = #expect(throws: ProviderError.self) { try translator.decodeResponse(Array(body.utf8), model: "m") }
        #expect(error?.category == .overloaded)
        #expect(error?.upstreamCode == "overloaded_error")
        #expect(error?.message == "Overloaded (request id req_011CSHoEeqs5C35K2UUqR7Fy)")
    }
}
