import FakeUpstream
import Foundation
import Testing

@Suite struct AnthropicWireTests {
    @Test func messageHasAnthropicsShapeAndTheDefaultReply() async throws {
        try await withFake { fake in
            let response = try await exchange(fake, Requests.anthropic(user: "hello world", system: "be brief"))
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("content-length") == String(response.body.count))
            #expect(response.header("request-id")?.hasPrefix("req_") == true)

            let json = try parseJSON(response.body)
            #expect((json["id"] as? String)?.hasPrefix("msg_") == true)
            #expect(json["type"] as? String == "message")
            #expect(json["role"] as? String == "assistant")
            #expect(json["model"] as? String == "claude-sonnet-4-5")
            #expect((json["content"] as? [Any])?.count == 1)
            #expect(value(json, "content", 0, "type") as? String == "text")
            #expect(value(json, "content", 0, "text") as? String == "You said: hello world")
            #expect(json["stop_reason"] as? String == "end_turn")
            #expect(json["stop_sequence"] is NSNull)
            #expect(value(json, "usage", "input_tokens") as? Int == 4)
            #expect(value(json, "usage", "output_tokens") as? Int == 4)
            #expect(value(json, "usage", "cache_creation_input_tokens") as? Int == 0)
            #expect(value(json, "usage", "cache_read_input_tokens") as? Int == 0)

            let recorded = try #require(fake.requests.first)
            #expect(recorded.provider == .anthropic)
            #expect(recorded.path == "/v1/messages")
            #expect(recorded.model == "claude-sonnet-4-5")
            #expect(recorded.header("X-Api-Key") == "sk-ant-test")
            #expect(recorded.header("anthropic-version") == "2023-06-01")
        }
    }

    @Test func streamSendsTheFullEventSequence() async throws {
        try await withFake { fake in
            let response = try await exchange(fake, Requests.anthropic(user: "hi there", stream: true))
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            #expect(response.chunked)
            #expect(response.header("content-type")?.hasPrefix("text/event-stream") == true)
            #expect(response.header("request-id") != nil)
            let events = ParsedSSE(response.body).events
            #expect(
                events.map(\.name) == [
                    "message_start", "content_block_start", "ping", "content_block_delta", "content_block_delta",
                    "content_block_delta", "content_block_delta", "content_block_stop", "message_delta",
                    "message_stop",
                ]
            )
            let payloads = try events.map { try $0.json() }
            for (event, payload) in zip(events, payloads) {
                #expect(payload["type"] as? String == event.name, "data.type matches the event name")
            }
            let start = payloads[0]
            #expect((value(start, "message", "id") as? String)?.hasPrefix("msg_") == true)
            #expect(value(start, "message", "model") as? String == "claude-sonnet-4-5")
            #expect((value(start, "message", "content") as? [Any])?.isEmpty == true)
            #expect(value(start, "message", "stop_reason") is NSNull)
            #expect(value(start, "message", "usage", "input_tokens") as? Int == 2)
            #expect(value(start, "message", "usage", "output_tokens") as? Int == 1)
            #expect(value(start, "message", "usage", "cache_creation_input_tokens") as? Int == 0)
            #expect(value(start, "message", "usage", "cache_read_input_tokens") as? Int == 0)
            #expect(value(payloads[1], "index") as? Int == 0)
            #expect(value(payloads[1], "content_block", "type") as? String == "text")
            #expect(value(payloads[1], "content_block", "text") as? String == "")
            let deltas = payloads[3...6]
            #expect(deltas.allSatisfy { value($0, "delta", "type") as? String == "text_delta" })
            #expect(deltas.map { value($0, "delta", "text") as? String } == ["You", " said:", " hi", " there"])
            #expect(value(payloads[7], "index") as? Int == 0)
            #expect(value(payloads[8], "delta", "stop_reason") as? String == "end_turn")
            #expect(value(payloads[8], "delta", "stop_sequence") is NSNull)
            #expect(value(payloads[8], "usage", "output_tokens") as? Int == 4)
        }
    }

    @Test func inputTokensExcludeCacheReadsAndWrites() async throws {
        try await withFake { fake in
            fake.setReply(FakeReply(pieces: ["x", "y"], inputTokens: 7, cachedInputTokens: 300, cacheWriteTokens: 40))
            let json = try parseJSON(try await exchange(fake, Requests.anthropic()).body)
            #expect(value(json, "content", 0, "text") as? String == "xy")
            #expect(value(json, "usage", "input_tokens") as? Int == 7)
            #expect(value(json, "usage", "cache_read_input_tokens") as? Int == 300)
            #expect(value(json, "usage", "cache_creation_input_tokens") as? Int == 40)
            #expect(value(json, "usage", "output_tokens") as? Int == 2)

            let streamed = try await exchange(fake, Requests.anthropic(stream: true))
            let payloads = try ParsedSSE(streamed.body).events.map { try $0.json() }
            #expect(value(payloads[0], "message", "usage", "input_tokens") as? Int == 7)
            #expect(value(payloads[0], "message", "usage", "cache_read_input_tokens") as? Int == 300)
            #expect(value(payloads[0], "message", "usage", "cache_creation_input_tokens") as? Int == 40)
            #expect(value(payloads[payloads.count - 2], "usage", "output_tokens") as? Int == 2)
        }
    }

    @Test func maxTokensTruncatesWithStopReasonMaxTokens() async throws {
        try await withFake { fake in
            let json = try parseJSON(try await exchange(fake, Requests.anthropic(maxTokens: 1)).body)
            #expect(value(json, "content", 0, "text") as? String == "You")
            #expect(json["stop_reason"] as? String == "max_tokens")
            #expect(value(json, "usage", "output_tokens") as? Int == 1)

            let streamed = try await exchange(fake, Requests.anthropic(stream: true, maxTokens: 3))
            let events = ParsedSSE(streamed.body).events
            #expect(events.filter { $0.name == "content_block_delta" }.count == 3)
            let delta = try #require(events.first { $0.name == "message_delta" }).json()
            #expect(value(delta, "delta", "stop_reason") as? String == "max_tokens")
            #expect(value(delta, "usage", "output_tokens") as? Int == 3)
        }
    }

    @Test func systemAsContentBlocksCountsAsInput() async throws {
        try await withFake { fake in
            let body = Requests.json([
                "model": "claude-haiku-4-5", "max_tokens": 50,
                "system": [["type": "text", "text": "be very brief"]],
                "messages": [["role": "user", "content": [["type": "text", "text": "what is up"]]]],
            ])
            let response = try await exchange(
                fake,
                Requests.raw(path: "/v1/messages", headers: [("anthropic-version", "2023-06-01")], body: body)
            )
            let json = try parseJSON(response.body)
            #expect(value(json, "content", 0, "text") as? String == "You said: what is up")
            #expect(value(json, "usage", "input_tokens") as? Int == 6)
        }
    }

    @Test func invalidRequestsGetAnthropics400s() async throws {
        try await withFake { fake in
            func expectError(_ response: RawHTTPResponse, _ status: Int, _ type: String, _ message: String) throws {
                #expect(response.status == status)
                let json = try parseJSON(response.body)
                #expect(json["type"] as? String == "error")
                #expect(value(json, "error", "type") as? String == type)
                #expect(value(json, "error", "message") as? String == message)
                #expect(response.header("request-id") != nil)
            }
            try expectError(
                try await exchange(fake, Requests.anthropic(version: nil)),
                400,
                "invalid_request_error",
                "anthropic-version: header is required"
            )
            try expectError(
                try await exchange(fake, Requests.anthropic(maxTokens: nil)),
                400,
                "invalid_request_error",
                "max_tokens: Field required"
            )
            try expectError(
                try await exchange(
                    fake,
                    Requests.raw(path: "/v1/messages", headers: [("anthropic-version", "2023-06-01")], body: "[1,")
                ),
                400,
                "invalid_request_error",
                "There was an issue with the request body: invalid JSON"
            )
            #expect(fake.attempts() == 3)
            #expect(fake.attempts(model: "claude-sonnet-4-5") == 2)
        }
    }

    @Test func configuredKeyIsRequired() async throws {
        try await withFake(.init(anthropicKey: "sk-ant-right")) { fake in
            let missing = try await exchange(fake, Requests.anthropic(key: nil))
            #expect(missing.status == 401)
            #expect(value(try parseJSON(missing.body), "error", "type") as? String == "authentication_error")
            let wrong = try await exchange(fake, Requests.anthropic(key: "sk-ant-wrong"))
            #expect(wrong.status == 401)
            #expect(value(try parseJSON(wrong.body), "error", "message") as? String == "invalid x-api-key")
            #expect(try await exchange(fake, Requests.anthropic(key: "sk-ant-right")).status == 200)
            // The OpenAI endpoint has no key configured.
            #expect(try await exchange(fake, Requests.openAI(key: nil)).status == 200)
        }
    }
}
