import FakeUpstream
import Foundation
import Testing

@Suite struct OpenAIWireTests {
    @Test func completionHasOpenAIsShapeAndTheDefaultReply() async throws {
        try await withFake { fake in
            let response = try await exchange(
                fake,
                Requests.openAI(
                    user: "hello world",
                    system: "be brief",
                    headers: [("OpenAI-Organization", "org-test")]
                )
            )
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            #expect(!response.chunked)
            #expect(response.header("content-type") == "application/json")
            #expect(response.header("content-length") == String(response.body.count))
            #expect(response.header("x-request-id")?.hasPrefix("req_") == true)

            let expected = FakeUpstream.defaultReply(
                forLastUserMessage: "hello world",
                systemAndMessages: ["be brief", "hello world"]
            )
            #expect(expected.pieces == ["You", " said:", " hello", " world"])
            #expect(expected.inputTokens == 4)

            let json = try parseJSON(response.body)
            #expect((json["id"] as? String)?.hasPrefix("chatcmpl-") == true)
            #expect(json["object"] as? String == "chat.completion")
            #expect(json["model"] as? String == "gpt-4o")
            let created = try #require(json["created"] as? Int)
            #expect(abs(created - Int(Date().timeIntervalSince1970)) < 60)
            let choices = try #require(json["choices"] as? [Any])
            #expect(choices.count == 1)
            #expect(value(json, "choices", 0, "index") as? Int == 0)
            #expect(value(json, "choices", 0, "message", "role") as? String == "assistant")
            #expect(value(json, "choices", 0, "message", "content") as? String == "You said: hello world")
            #expect(value(json, "choices", 0, "finish_reason") as? String == "stop")
            #expect(value(json, "usage", "prompt_tokens") as? Int == 4)
            #expect(value(json, "usage", "completion_tokens") as? Int == 4)
            #expect(value(json, "usage", "total_tokens") as? Int == 8)
            #expect(value(json, "usage", "prompt_tokens_details", "cached_tokens") as? Int == 0)

            let recorded = try #require(fake.requests.first)
            #expect(fake.requests.count == 1)
            #expect(recorded.method == "POST")
            #expect(recorded.path == "/v1/chat/completions")
            #expect(recorded.provider == .openai)
            #expect(recorded.model == "gpt-4o")
            #expect(recorded.stream == false)
            #expect(recorded.header("authorization") == "Bearer sk-test")
            #expect(recorded.header("openai-organization") == "org-test")
            #expect(recorded.header("OPENAI-ORGANIZATION") == "org-test")
            #expect(value(recorded.jsonBody, "messages", 1, "content") as? String == "hello world")
        }
    }

    @Test func streamSendsRoleChunkPiecesFinishAndDone() async throws {
        try await withFake { fake in
            let response = try await exchange(fake, Requests.openAI(user: "hi there", stream: true))
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            #expect(response.chunked)
            #expect(response.header("transfer-encoding") == "chunked")
            #expect(response.header("content-length") == nil)
            #expect(response.header("content-type")?.hasPrefix("text/event-stream") == true)
            // Plain style: one event per chunk.
            #expect(response.chunks.count == 7)  // role, four pieces, finish, [DONE]
            #expect(response.chunks.allSatisfy { String(decoding: $0, as: UTF8.self).hasSuffix("\n\n") })
            #expect(!response.text.contains("\r"))

            let events = ParsedSSE(response.body).events
            #expect(events.count == 7)
            #expect(events.allSatisfy { $0.name == nil })
            #expect(events.last?.data == "[DONE]")
            let chunks = try events.dropLast().map { try $0.json() }
            let ids = Set(chunks.compactMap { $0["id"] as? String })
            #expect(ids.count == 1)
            #expect(ids.first?.hasPrefix("chatcmpl-") == true)
            for chunk in chunks {
                #expect(chunk["object"] as? String == "chat.completion.chunk")
                #expect(chunk["model"] as? String == "gpt-4o")
                #expect(chunk["created"] is Int)
                #expect(chunk["usage"] == nil, "no usage key without stream_options.include_usage")
            }
            #expect(value(chunks[0], "choices", 0, "delta", "role") as? String == "assistant")
            #expect(value(chunks[0], "choices", 0, "delta", "content") as? String == "")
            #expect(value(chunks[0], "choices", 0, "finish_reason") is NSNull)
            let pieces = chunks[1...4].map { value($0, "choices", 0, "delta", "content") as? String }
            #expect(pieces == ["You", " said:", " hi", " there"])
            #expect(chunks[1...4].allSatisfy { value($0, "choices", 0, "finish_reason") is NSNull })
            #expect((value(chunks[5], "choices", 0, "delta") as? [String: Any])?.isEmpty == true)
            #expect(value(chunks[5], "choices", 0, "finish_reason") as? String == "stop")
            #expect(fake.requests.first?.stream == true)
        }
    }

    @Test func streamWithIncludeUsageEndsWithAUsageChunk() async throws {
        try await withFake { fake in
            let response = try await exchange(
                fake,
                Requests.openAI(user: "one two three", system: "sys", stream: true, includeUsage: true)
            )
            #expect(response.ending == .complete)
            let events = ParsedSSE(response.body).events
            #expect(events.count == 9)  // role, five pieces, finish, usage, [DONE]
            #expect(events.last?.data == "[DONE]")
            let chunks = try events.dropLast().map { try $0.json() }
            for chunk in chunks.dropLast() {
                #expect(chunk["usage"] is NSNull, "other chunks carry usage: null")
            }
            let usageChunk = try #require(chunks.last)
            #expect((usageChunk["choices"] as? [Any])?.isEmpty == true)
            #expect(value(usageChunk, "usage", "prompt_tokens") as? Int == 4)
            #expect(value(usageChunk, "usage", "completion_tokens") as? Int == 5)
            #expect(value(usageChunk, "usage", "total_tokens") as? Int == 9)
            #expect(value(usageChunk, "usage", "prompt_tokens_details", "cached_tokens") as? Int == 0)
            #expect(value(chunks[chunks.count - 2], "choices", 0, "finish_reason") as? String == "stop")
        }
    }

    @Test func promptTokensIncludeCachedTokens() async throws {
        try await withFake { fake in
            fake.setReply(
                FakeReply(pieces: ["a", "b", "c"], inputTokens: 10, cachedInputTokens: 90, cacheWriteTokens: 5),
                model: "gpt-4o"
            )
            let response = try await exchange(fake, Requests.openAI(model: "gpt-4o"))
            let json = try parseJSON(response.body)
            #expect(value(json, "choices", 0, "message", "content") as? String == "abc")
            #expect(value(json, "usage", "prompt_tokens") as? Int == 100)
            #expect(value(json, "usage", "prompt_tokens_details", "cached_tokens") as? Int == 90)
            #expect(value(json, "usage", "completion_tokens") as? Int == 3)
            #expect(value(json, "usage", "total_tokens") as? Int == 103)

            let streamed = try await exchange(fake, Requests.openAI(model: "gpt-4o", stream: true, includeUsage: true))
            let usage = try ParsedSSE(streamed.body).events.dropLast().last!.json()
            #expect(value(usage, "usage", "prompt_tokens") as? Int == 100)
            #expect(value(usage, "usage", "prompt_tokens_details", "cached_tokens") as? Int == 90)

            // The reply is for gpt-4o only; another model gets the default reply.
            let other = try parseJSON(try await exchange(fake, Requests.openAI(model: "gpt-4o-mini")).body)
            #expect(value(other, "choices", 0, "message", "content") as? String == "You said: hello world")
        }
    }

    @Test func maxTokensTruncatesWithFinishReasonLength() async throws {
        try await withFake { fake in
            let json = try parseJSON(try await exchange(fake, Requests.openAI(maxTokens: 2)).body)
            #expect(value(json, "choices", 0, "message", "content") as? String == "You said:")
            #expect(value(json, "choices", 0, "finish_reason") as? String == "length")
            #expect(value(json, "usage", "completion_tokens") as? Int == 2)

            let streamed = try await exchange(fake, Requests.openAI(stream: true, includeUsage: true, maxTokens: 3))
            let chunks = try ParsedSSE(streamed.body).events.dropLast().map { try $0.json() }
            let pieces = chunks.compactMap { value($0, "choices", 0, "delta", "content") as? String }
            #expect(pieces == ["", "You", " said:", " hello"])
            #expect(value(chunks[chunks.count - 2], "choices", 0, "finish_reason") as? String == "length")
            #expect(value(chunks.last, "usage", "completion_tokens") as? Int == 3)

            // max_completion_tokens counts too; a limit above the reply changes nothing.
            let body = Requests.json([
                "model": "gpt-4o", "messages": [["role": "user", "content": "a b"]], "max_completion_tokens": 1,
            ])
            let limited = try parseJSON(
                try await exchange(fake, Requests.raw(path: "/v1/chat/completions", body: body)).body
            )
            #expect(value(limited, "choices", 0, "message", "content") as? String == "You")
            let roomy = try parseJSON(try await exchange(fake, Requests.openAI(maxTokens: 100)).body)
            #expect(value(roomy, "choices", 0, "finish_reason") as? String == "stop")
        }
    }

    @Test func contentPartsAndSystemMessagesCountAsInput() async throws {
        try await withFake { fake in
            let body = Requests.json([
                "model": "gpt-4o",
                "messages": [
                    ["role": "system", "content": "you are terse"],
                    [
                        "role": "user",
                        "content": [["type": "text", "text": "first part"], ["type": "text", "text": "second"]],
                    ],
                    ["role": "assistant", "content": "ok"],
                    ["role": "user", "content": "last question here"],
                ],
            ])
            let json = try parseJSON(
                try await exchange(fake, Requests.raw(path: "/v1/chat/completions", body: body)).body
            )
            #expect(value(json, "choices", 0, "message", "content") as? String == "You said: last question here")
            #expect(value(json, "usage", "prompt_tokens") as? Int == 10)  // 3 + 3 + 1 + 3 words
        }
    }

    @Test func invalidRequestsGetOpenAIs400s() async throws {
        try await withFake { fake in
            let badJSON = try await exchange(fake, Requests.raw(path: "/v1/chat/completions", body: "{not json"))
            #expect(badJSON.status == 400)
            let badJSONBody = try parseJSON(badJSON.body)
            #expect(value(badJSONBody, "error", "type") as? String == "invalid_request_error")
            #expect((value(badJSONBody, "error", "message") as? String)?.contains("could not parse the JSON") == true)
            #expect(value(badJSONBody, "error", "param") is NSNull)
            #expect(value(badJSONBody, "error", "code") is NSNull)
            #expect(badJSON.header("x-request-id") != nil)

            let noModel = try await exchange(
                fake,
                Requests.raw(path: "/v1/chat/completions", body: #"{"messages":[]}"#)
            )
            #expect(noModel.status == 400)
            #expect(
                value(try parseJSON(noModel.body), "error", "message") as? String
                    == "you must provide a model parameter"
            )

            let noMessages = try await exchange(
                fake,
                Requests.raw(path: "/v1/chat/completions", body: #"{"model":"m"}"#)
            )
            #expect(noMessages.status == 400)
            let noMessagesBody = try parseJSON(noMessages.body)
            #expect(value(noMessagesBody, "error", "code") as? String == "missing_required_parameter")
            #expect(value(noMessagesBody, "error", "param") as? String == "messages")

            let zero = try await exchange(fake, Requests.openAI(maxTokens: 0))
            #expect(zero.status == 400)
            #expect(value(try parseJSON(zero.body), "error", "code") as? String == "integer_below_min_value")

            // Every one was an attempt; the malformed one has no model.
            #expect(fake.attempts() == 4)
            #expect(fake.attempts(model: "m") == 1)
            #expect(fake.requests.map(\.model) == [nil, nil, "m", "gpt-4o"])
        }
    }

    @Test func configuredKeyIsRequired() async throws {
        try await withFake(.init(openAIKey: "sk-right-key-123456")) { fake in
            let missing = try await exchange(fake, Requests.openAI(key: nil))
            #expect(missing.status == 401)
            let missingBody = try parseJSON(missing.body)
            #expect(value(missingBody, "error", "type") as? String == "invalid_request_error")
            #expect(value(missingBody, "error", "code") is NSNull)
            #expect(
                (value(missingBody, "error", "message") as? String)?.hasPrefix("You didn't provide an API key") == true
            )

            let wrong = try await exchange(fake, Requests.openAI(key: "sk-wrong-key-999999"))
            #expect(wrong.status == 401)
            let wrongBody = try parseJSON(wrong.body)
            #expect(value(wrongBody, "error", "code") as? String == "invalid_api_key")
            let message = try #require(value(wrongBody, "error", "message") as? String)
            #expect(message.hasPrefix("Incorrect API key provided: sk-"))
            #expect(!message.contains("sk-wrong-key-999999"), "the key is masked")

            let right = try await exchange(fake, Requests.openAI(key: "sk-right-key-123456"))
            #expect(right.status == 200)
            #expect(fake.attempts(model: "gpt-4o") == 3)
        }
    }
}
