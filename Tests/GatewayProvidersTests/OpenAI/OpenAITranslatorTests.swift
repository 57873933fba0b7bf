import GatewayCore
import GatewayProviders
import Testing

@Suite("OpenAI translator: requests and responses")
struct OpenAITranslatorTests {
    let translator = OpenAITranslator(apiKey: "sk-test", organization: "org-42", project: "proj_7")
    typealias Support = TranslatorTestSupport

    @Test func reasoningModelsGetMaxCompletionTokens() throws {
        for model in ["o1", "o1-mini", "o3-mini-2025-01-31", "o4-mini"] {
            let encoded = try translator.encode(
                CompletionRequest(model: model, messages: [ChatMessage(role: .user, content: "Hi")], maxTokens: 64),
                model: model, stream: false)
            let body = try Support.json(encoded.body)
            #expect(body["max_completion_tokens"] as? Int == 64, "\(model)")
            #expect(body["max_tokens"] == nil, "\(model)")
        }
        for model in ["gpt-4o", "omni-custom", "o"] {
            let body = try Support.json(try translator.encode(
                CompletionRequest(model: model, messages: [ChatMessage(role: .user, content: "Hi")], maxTokens: 64),
                model: model, stream: false).body)
            #expect(body["max_tokens"] as? Int == 64, "\(model)")
        }
    }

    @Test func encodesEveryFieldInOpenAIsShape() throws {
        let request = CompletionRequest(
            model: "gpt-4o", systemPrompt: "You are terse.",
            messages: [
                ChatMessage(role: .user, content: "Hi", name: "alice"),
                ChatMessage(role: .assistant, content: "Hello."),
                ChatMessage(role: .system, content: "Mid-conversation rule."),
                ChatMessage(role: .tool, content: "42"),
            ],
            temperature: 0.7, topP: 0.9, maxTokens: 256, stop: ["\n\n", "END"], responseFormat: .jsonObject)
        let encoded = try translator.encode(request, model: "gpt-4o-2024-08-06", stream: false)

        #expect(encoded.method == "POST")
        #expect(encoded.path == "/chat/completions")
        #expect(OpenAITranslator.defaultBaseURL == "https://api.openai.com/v1")
        let body = try Support.json(encoded.body)
        #expect(body["model"] as? String == "gpt-4o-2024-08-06")
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.map { $0["role"] as? String } == ["system", "user", "assistant", "system", "user"])
        #expect(
            messages.map { $0["content"] as? String } == [
                "You are terse.", "Hi", "Hello.", "Mid-conversation rule.", "42",
            ])
        #expect(messages[1]["name"] as? String == "alice")
        #expect(messages[0]["name"] == nil && messages[2]["name"] == nil)
        #expect(body["temperature"] as? Double == 0.7)
        #expect(body["top_p"] as? Double == 0.9)
        #expect(body["max_tokens"] as? Int == 256)
        #expect(body["stop"] as? [String] == ["\n\n", "END"])
        #expect((body["response_format"] as? [String: Any])?["type"] as? String == "json_object")
        #expect(body["stream"] as? Bool == false)
        #expect(body["stream_options"] == nil)

        #expect(encoded.header("authorization") == "Bearer sk-test")
        #expect(encoded.header("Content-Type") == "application/json")
        #expect(encoded.header("Accept") == "application/json")
        #expect(encoded.header("OpenAI-Organization") == "org-42")
        #expect(encoded.header("OpenAI-Project") == "proj_7")
    }

    @Test func omitsEveryUnsetOptional() throws {
        let bare = OpenAITranslator(apiKey: "sk-test")
        let encoded = try bare.encode(Support.request(), model: "gpt-4o-mini", stream: false)
        let body = try Support.json(encoded.body)
        #expect(Set(body.keys) == ["model", "messages", "stream"])
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(Set(messages[0].keys) == ["role", "content"])
        #expect(encoded.header("OpenAI-Organization") == nil)
        #expect(encoded.header("OpenAI-Project") == nil)
        #expect(encoded.headers.map(\.name) == ["Authorization", "Content-Type", "Accept"])
    }

    @Test func emptySystemPromptAndNameAreOmitted() throws {
        let request = Support.request(system: "", [ChatMessage(role: .user, content: "x", name: "")])
        let body = try Support.json(try translator.encode(request, model: "gpt-4o", stream: false).body)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages.count == 1)
        #expect(messages[0]["name"] == nil)
    }

    @Test func streamingAsksForUsageAndEventStream() throws {
        let encoded = try translator.encode(Support.request(), model: "gpt-4o", stream: true)
        let body = try Support.json(encoded.body)
        #expect(body["stream"] as? Bool == true)
        #expect((body["stream_options"] as? [String: Any])?["include_usage"] as? Bool == true)
        #expect(encoded.header("accept") == "text/event-stream")
    }

    @Test func textIsEscapedSoItRoundTrips() throws {
        let tricky = "quote \" backslash \\ newline \n tab \t cr \r nul \u{0} bell \u{7} unicode é 🌍 \u{2028} </script>"
        let request = Support.request(system: tricky, [ChatMessage(role: .user, content: tricky, name: "n\"1")])
        let encoded = try translator.encode(request, model: "gpt-4o", stream: false)
        let body = try Support.json(encoded.body)
        let messages = try #require(body["messages"] as? [[String: Any]])
        #expect(messages[0]["content"] as? String == tricky)
        #expect(messages[1]["content"] as? String == tricky)
        #expect(messages[1]["name"] as? String == "n\"1")
    }

    @Test func numbersAreWrittenExactly() throws {
        for value in [0.0, 1.0, 2.0, 0.1, 0.35, 1e-5, 1.9999999] {
            var request = Support.request()
            request.temperature = value
            request.topP = value
            let body = try Support.json(try translator.encode(request, model: "m", stream: false).body)
            #expect(body["temperature"] as? Double == value)
            #expect(body["top_p"] as? Double == value)
        }
    }

    @Test func requestsThatCannotBeSentAreInvalid() {
        let empty = CompletionRequest(model: "gpt-4o", messages: [])
        let e1 = #expect(throws: ProviderError.self) { try translator.encode(empty, model: "gpt-4o", stream: false) }
        #expect(e1?.category == .invalidRequest)
        #expect(e1?.provider == .openai)

        var nan = Support.request()
        nan.temperature = .nan
        let e2 = #expect(throws: ProviderError.self) { try translator.encode(nan, model: "gpt-4o", stream: false) }
        #expect(e2?.category == .invalidRequest)
        #expect(e2?.message.contains("temperature") == true)

        let systemOnly = CompletionRequest(model: "gpt-4o", systemPrompt: "Say hi.", messages: [])
        #expect(throws: Never.self) { try translator.encode(systemOnly, model: "gpt-4o", stream: false) }
    }

    @Test func modelNamesPassThrough() throws {
        for model in ["gpt-4-turbo", "gpt-4o", "gpt-4o-mini", "gpt-3.5-turbo", "ft:gpt-4o-mini:acme::abc123"] {
            let body = try Support.json(try translator.encode(Support.request(), model: model, stream: false).body)
            #expect(body["model"] as? String == model)
        }
    }

    @Test func decodesTheRecordedCompletion() throws {
        let completion = try translator.decodeResponse(Array(OpenAIFixtures.completion.utf8), model: "gpt-4o")
        #expect(completion.id == "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT")
        #expect(completion.provider == .openai)
        #expect(completion.model == "gpt-4o-2024-08-06")
        #expect(completion.content == "Hello! How can I assist you today?")
        #expect(completion.finishReason == .stop)
        // prompt_tokens (2006) includes the 1920 cached tokens.
        #expect(completion.usage == TokenUsage(input: 86, cachedInput: 1920, cacheWrite: 0, output: 300))
    }

    @Test(arguments: [
        ("\"stop\"", FinishReason.stop), ("\"length\"", .length), ("\"content_filter\"", .contentFilter),
        ("\"tool_calls\"", .toolCalls), ("\"function_call\"", .toolCalls), ("\"something_new\"", .other),
        ("null", .other),
    ])
    func mapsFinishReasons(_ raw: String, _ expected: FinishReason) throws {
        let body = """
            {"id":"c1","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"x"},"finish_reason":\(raw)}]}
            """
        #expect(try translator.decodeResponse(Array(body.utf8), model: "gpt-4o").finishReason == expected)
    }

    @Test func aRefusalIsTheContentWhenThereIsNone() throws {
        let body = """
            {"id":"c1","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"refusal":"I can't help with that."},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":7}}
            """
        let completion = try translator.decodeResponse(Array(body.utf8), model: "gpt-4o")
        #expect(completion.content == "I can't help with that.")
        #expect(completion.usage == TokenUsage(input: 5, output: 7))
    }

    @Test func toolCallsWithoutContentDecodeToEmptyContent() throws {
        let body = """
            {"id":"c2","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{\\"a\\":1}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":82,"completion_tokens":17,"total_tokens":99,"prompt_tokens_details":null}}
            """
        let completion = try translator.decodeResponse(Array(body.utf8), model: "gpt-4o")
        #expect(completion.content == "")
        #expect(completion.finishReason == .toolCalls)
        #expect(completion.usage == TokenUsage(input: 82, output: 17))
    }

    @Test func missingUsageAndModelFallBack() throws {
        let body = #"{"choices":[{"message":{"content":"hi"},"finish_reason":"length"}]}"#
        let completion = try translator.decodeResponse(Array(body.utf8), model: "requested-model")
        #expect(completion.model == "requested-model")
        #expect(completion.id == "")
        #expect(completion.usage == .zero)
        #expect(completion.finishReason == .length)
    }

    @Test(arguments: [
        "", "not json", "{", #"{"id":"x","choices":[{"message":{"content":"hi""#, #"{"choices":[]}"#, #"{"id":"x"}"#,
        "[]", #"{"choices":[{"message":{"content":12}}]}"#, #"{"choices":[]} trailing"#,
    ])
    func unreadableResponsesAreServerErrors(_ body: String) {
        let error = #expect(throws: ProviderError.self) {
            try translator.decodeResponse(Array(body.utf8), model: "gpt-4o")
        }
        #expect(error?.category == .serverError)
        #expect(error?.upstreamCode == "malformed_response")
        #expect(error?.provider == .openai)
        #expect(error?.model == "gpt-4o")
    }

    @Test func anErrorInsideA2xxBodyIsClassified() {
        let error = #expect(throws: ProviderError.self) {
            try translator.decodeResponse(Array(OpenAIFixtures.insufficientQuota.utf8), model: "gpt-4o")
        }
        #expect(error?.category == .quotaExhausted)
        #expect(error?.upstreamCode == "insufficient_quota")
    }
}
