import FakeUpstream
import Foundation
import Testing

@Suite struct BehaviourTests {
    /// The error fields for a provider: OpenAI's `error.type`/`error.code`, Anthropic's `error.type`.
    private func errorFields(
        _ response: RawHTTPResponse,
        _ provider: FakeProvider
    ) throws -> (type: String?, code: Any?) {
        let json = try parseJSON(response.body)
        switch provider {
        case .openai:
            #expect(value(json, "error", "message") is String)
            #expect((json["error"] as? [String: Any])?.keys.sorted() == ["code", "message", "param", "type"])
            return (value(json, "error", "type") as? String, value(json, "error", "code"))
        case .anthropic:
            #expect(json["type"] as? String == "error")
            #expect(value(json, "error", "message") is String)
            return (value(json, "error", "type") as? String, nil)
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func statusErrorsUseTheProvidersShapeAndRetryHeaders(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([
                .rateLimited(retryAfterSeconds: 2, retryAfterMilliseconds: 1500), .quotaExceeded,
                .contextLengthExceeded, .unauthorized, .overloaded, .serverError(shouldRetry: false),
                .serviceUnavailable, .modelNotFound, .forbidden, .status(418),
            ])
            let openAI = provider == .openai

            let limited = try await exchange(fake, Requests.to(provider))
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "2")
            #expect(limited.header("retry-after-ms") == "1500")
            #expect(limited.header("x-should-retry") == nil)
            #expect(limited.header(openAI ? "x-request-id" : "request-id") != nil)
            #expect(limited.header("content-length") == String(limited.body.count))
            let limitedFields = try errorFields(limited, provider)
            #expect(limitedFields.type == (openAI ? "requests" : "rate_limit_error"))
            if openAI { #expect(limitedFields.code as? String == "rate_limit_exceeded") }

            // A stream request gets the same JSON error, not a stream.
            let quota = try await exchange(fake, Requests.to(provider, stream: true))
            #expect(quota.status == 429)
            #expect(quota.header("content-type") == "application/json")
            #expect(!quota.chunked)
            #expect(quota.header("retry-after") == nil)
            let quotaFields = try errorFields(quota, provider)
            #expect(quotaFields.type == (openAI ? "insufficient_quota" : "rate_limit_error"))
            if openAI { #expect(quotaFields.code as? String == "insufficient_quota") }

            let context = try await exchange(fake, Requests.to(provider))
            #expect(context.status == 400)
            #expect(try errorFields(context, provider).type == "invalid_request_error")
            let contextJSON = try parseJSON(context.body)
            if openAI {
                #expect(value(contextJSON, "error", "code") as? String == "context_length_exceeded")
                #expect(value(contextJSON, "error", "param") as? String == "messages")
            } else {
                #expect(
                    value(contextJSON, "error", "message") as? String
                        == "prompt is too long: 200001 tokens > 200000 maximum"
                )
            }

            let auth = try await exchange(fake, Requests.to(provider))
            #expect(auth.status == 401)
            let authFields = try errorFields(auth, provider)
            #expect(authFields.type == (openAI ? "invalid_request_error" : "authentication_error"))
            if openAI { #expect(authFields.code as? String == "invalid_api_key") }

            let overloaded = try await exchange(fake, Requests.to(provider))
            #expect(overloaded.status == 529)
            #expect(try errorFields(overloaded, provider).type == (openAI ? "server_error" : "overloaded_error"))

            let server = try await exchange(fake, Requests.to(provider))
            #expect(server.status == 500)
            #expect(server.header("x-should-retry") == "false")
            #expect(try errorFields(server, provider).type == (openAI ? "server_error" : "api_error"))

            let unavailable = try await exchange(fake, Requests.to(provider))
            #expect(unavailable.status == 503)
            let unavailableFields = try errorFields(unavailable, provider)
            #expect(unavailableFields.type == (openAI ? "server_error" : "api_error"))
            if openAI { #expect(unavailableFields.code as? String == "service_unavailable") }

            let notFound = try await exchange(fake, Requests.to(provider))
            #expect(notFound.status == 404)
            let notFoundFields = try errorFields(notFound, provider)
            #expect(notFoundFields.type == (openAI ? "invalid_request_error" : "not_found_error"))
            if openAI { #expect(notFoundFields.code as? String == "model_not_found") }

            let forbidden = try await exchange(fake, Requests.to(provider))
            #expect(forbidden.status == 403)
            if !openAI { #expect(try errorFields(forbidden, provider).type == "permission_error") }

            let teapot = try await exchange(fake, Requests.to(provider))
            #expect(teapot.status == 418)
            #expect(try errorFields(teapot, provider).type == "invalid_request_error")

            #expect(try await exchange(fake, Requests.to(provider)).status == 200)
            #expect(fake.attempts() == 11)
        }
    }

    @Test func customErrorFieldsOverrideTheDefaults() async throws {
        try await withFake { fake in
            let error = FakeError(kind: .rateLimit, type: "tokens", code: "rate_limit_exceeded", message: "slow down")
            fake.enqueue([.status(429, error), .status(429, error)])
            let openAI = try parseJSON(try await exchange(fake, Requests.openAI()).body)
            #expect(value(openAI, "error", "type") as? String == "tokens")
            #expect(value(openAI, "error", "message") as? String == "slow down")
            let anthropic = try parseJSON(try await exchange(fake, Requests.anthropic()).body)
            #expect(value(anthropic, "error", "type") as? String == "tokens")
            #expect(value(anthropic, "error", "message") as? String == "slow down")
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func resetConnectionClosesWithoutAResponse(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([.resetConnection])
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(Requests.to(provider))
            let response = await connection.readResponse(timeout: .seconds(5))
            #expect(response.status == 0)
            #expect(response.ending == .reset, "SO_LINGER 0 turns the close into a RST")
            await connection.close()
            #expect(fake.attempts() == 1)
            #expect(try await exchange(fake, Requests.to(provider)).status == 200)
        }
    }

    @Test func noResponseKeepsTheConnectionOpenUntilTheClientLeaves() async throws {
        try await withFake { fake in
            fake.enqueue([.noResponse])
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(Requests.openAI())
            #expect(try await eventually { fake.attempts() == 1 }, "the request arrived")
            let response = await connection.readResponse(timeout: .milliseconds(150))
            #expect(response.status == 0)
            #expect(response.ending == .timedOut)
            #expect(fake.openConnections == 1)
            await connection.close()
            #expect(try await eventually { fake.openConnections == 0 }, "the server notices the client leaving")
        }
    }

    @Test(arguments: [false, true])
    func slowFirstTokenDelaysTheResponse(stream: Bool) async throws {
        try await withFake { fake in
            fake.enqueue([.slowFirstToken(milliseconds: 300)])
            let clock = ContinuousClock()
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            let start = clock.now
            try await connection.send(Requests.openAI(stream: stream))
            let early = await connection.readResponse(timeout: .milliseconds(50))
            #expect(early.status == 0, "nothing, not even the head, before the delay")
            #expect(early.ending == .timedOut)
            let response = await connection.readResponse()
            #expect(clock.now - start >= .milliseconds(300))
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            #expect(response.chunked == stream)
            if stream { #expect(ParsedSSE(response.body).events.last?.data == "[DONE]") }
            await connection.close()
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func cutStreamClosesMidBody(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([.cutStream(afterPieces: 2), .cutStream(afterPieces: 2)])
            let response = try await exchange(fake, Requests.to(provider, user: "a b c d", stream: true))
            #expect(response.status == 200)
            #expect(response.chunked)
            #expect(response.ending == .closed, "closed before the final chunk")
            let events = ParsedSSE(response.body).events
            switch provider {
            case .openai:
                #expect(events.count == 3)  // role chunk, two pieces
                #expect(!events.contains { $0.data == "[DONE]" })
            case .anthropic:
                #expect(
                    events.map(\.name) == [
                        "message_start", "content_block_start", "ping", "content_block_delta",
                        "content_block_delta",
                    ]
                )
            }

            let plain = try await exchange(fake, Requests.to(provider))
            #expect(plain.status == 200)
            #expect(plain.ending == .closed)
            #expect(plain.body.count < Int(plain.header("content-length") ?? "0")!)
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func stallStreamKeepsTheConnectionOpen(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([.stallStream(afterPieces: 1)])
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(Requests.to(provider, stream: true))
            let expected = provider == .openai ? 2 : 4  // the preamble and one piece
            let response = await connection.readResponse { ParsedSSE($0.body).events.count >= expected }
            #expect(response.status == 200)
            #expect(response.ending == .stopped)
            #expect(ParsedSSE(response.body).events.count == expected)
            #expect(await connection.staysQuiet(for: .milliseconds(150)), "nothing more, and no close")
            #expect(fake.openConnections == 1)
            await connection.close()
            #expect(try await eventually { fake.openConnections == 0 })
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func malformedChunkIsFollowedByTheRestOfTheStream(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([.malformedChunk(afterPieces: 1), .malformedChunk(afterPieces: 0)])
            let response = try await exchange(fake, Requests.to(provider, stream: true))
            #expect(response.ending == .complete)
            let events = ParsedSSE(response.body).events
            let broken = events.enumerated().filter { (try? $0.element.json()) == nil && $0.element.data != "[DONE]" }
            #expect(broken.count == 1)
            let brokenIndex = try #require(broken.first?.offset)
            let text: [String]
            switch provider {
            case .openai:
                #expect(brokenIndex == 2, "after the role chunk and one piece")
                #expect(events.last?.data == "[DONE]")
                text = events.compactMap { try? $0.json() }.compactMap {
                    value($0, "choices", 0, "delta", "content") as? String
                }
            case .anthropic:
                #expect(brokenIndex == 4, "after message_start, content_block_start, ping and one delta")
                #expect(events[brokenIndex].name == "content_block_delta")
                #expect(events.last?.name == "message_stop")
                text = events.compactMap { try? $0.json() }.compactMap { value($0, "delta", "text") as? String }
            }
            #expect(text.joined() == "You said: hello world", "every real piece still arrives")

            let plain = try await exchange(fake, Requests.to(provider))
            #expect(plain.status == 200)
            #expect(plain.ending == .complete)
            #expect(plain.header("content-length") == String(plain.body.count))
            #expect((try? parseJSON(plain.body)) == nil, "the non-stream body is truncated JSON")
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func missingDoneEndsTheBodyCleanlyWithoutTheTerminalEvent(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([.missingDone, .missingDone])
            let response = try await exchange(fake, Requests.to(provider, stream: true))
            #expect(response.ending == .complete)
            let events = ParsedSSE(response.body).events
            switch provider {
            case .openai:
                #expect(!events.contains { $0.data == "[DONE]" })
                #expect(events.count == 7)  // role, four pieces, finish, usage
                #expect(value(try events.last!.json(), "usage", "completion_tokens") as? Int == 4)
            case .anthropic:
                #expect(events.last?.name == "message_delta")
                #expect(!events.contains { $0.name == "message_stop" })
            }
            #expect(try await exchange(fake, Requests.to(provider)).status == 200, "non-stream: a normal answer")
        }
    }

    @Test(arguments: FakeProvider.allCases)
    func midStreamErrorEndsTheStreamWithTheProvidersErrorEvent(provider: FakeProvider) async throws {
        try await withFake { fake in
            fake.enqueue([.midStreamError(afterPieces: 2), .midStreamError(afterPieces: 2)])
            let response = try await exchange(fake, Requests.to(provider, stream: true))
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            let events = ParsedSSE(response.body).events
            let last = try #require(events.last)
            let payload = try last.json()
            switch provider {
            case .openai:
                #expect(events.count == 4)  // role, two pieces, error
                #expect(last.name == nil)
                #expect(value(payload, "error", "type") as? String == "server_error")
                #expect(value(payload, "error", "message") is String)
            case .anthropic:
                #expect(events.count == 6)  // three preamble events, two deltas, error
                #expect(last.name == "error")
                #expect(payload["type"] as? String == "error")
                #expect(value(payload, "error", "type") as? String == "overloaded_error")
            }
            let plain = try await exchange(fake, Requests.to(provider))
            #expect(plain.status == (provider == .openai ? 500 : 529))
        }
    }

    @Test func tokenDelaySpacesThePieces() async throws {
        try await withFake { fake in
            fake.setTokenDelay(milliseconds: 25)
            let clock = ContinuousClock()
            let start = clock.now
            let response = try await exchange(fake, Requests.anthropic(user: "a b", stream: true))
            #expect(clock.now - start >= .milliseconds(75), "four pieces, three gaps")
            #expect(response.ending == .complete)
            #expect(ParsedSSE(response.body).events.filter { $0.name == "content_block_delta" }.count == 4)
        }
    }
}
