import GatewayCore
import GatewayProviders
import Testing

@Suite("Anthropic translator: streams")
struct AnthropicStreamDecoderTests {
    let translator = AnthropicTranslator(apiKey: "sk-ant-test")
    typealias Support = TranslatorTestSupport

    static let finalUsage = TokenUsage(input: 25, cachedInput: 1800, cacheWrite: 248, output: 15)
    static let recordedEvents: [CompletionEvent] = [
        .started(id: "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", model: "claude-3-5-sonnet-20241022"),
        .delta("Hello"),
        .delta(" wörld 🌍"),
        .delta("!\n"),
        .finished(.stop, finalUsage),
    ]

    @Test func theRecordedStreamDecodesTheSameHoweverItIsCut() {
        for (name, chunks) in Support.everyChunking(AnthropicFixtures.stream) {
            let (events, error) = Support.replay(translator, chunks, model: "claude-3-5-sonnet")
            #expect(error == nil, "\(name)")
            #expect(events == Self.recordedEvents, "\(name)")
        }
    }

    @Test func usageIsTrackedAsEventsArrive() throws {
        var decoder = translator.makeStreamDecoder(model: "claude-3-5-sonnet")
        #expect(decoder.provider == .anthropic)
        var parser = SSEParser()
        parser.append(Array(AnthropicFixtures.stream.utf8))
        var usages: [TokenUsage] = []
        while let event = try parser.next() {
            _ = try decoder.consume(event)
            usages.append(decoder.usageSoFar)
        }
        let afterStart = TokenUsage(input: 25, cachedInput: 1800, cacheWrite: 248, output: 1)
        #expect(usages == Array(repeating: afterStart, count: 7) + [Self.finalUsage, Self.finalUsage])
        #expect(decoder.isFinished)
    }

    @Test func messageDeltaUsageReplacesOnlyWhatItCarries() throws {
        var decoder = translator.makeStreamDecoder(model: "m")
        _ = try decoder.consume(
            SSEEvent(
                event: "message_start",
                data:
                    #"{"type":"message_start","message":{"id":"msg_1","model":"m","usage":{"input_tokens":100,"cache_read_input_tokens":null,"output_tokens":1}}}"#
            ))
        _ = try decoder.consume(
            SSEEvent(
                event: "message_delta",
                data: #"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":40}}"#))
        #expect(decoder.usageSoFar == TokenUsage(input: 100, output: 40))
        _ = try decoder.consume(
            SSEEvent(
                event: "message_delta",
                data:
                    #"{"type":"message_delta","delta":{"stop_reason":null},"usage":{"input_tokens":90,"cache_creation_input_tokens":5,"cache_read_input_tokens":7,"output_tokens":64}}"#
            ))
        #expect(decoder.usageSoFar == TokenUsage(input: 90, cachedInput: 7, cacheWrite: 5, output: 64))
        #expect(
            try decoder.consume(SSEEvent(event: "message_stop", data: #"{"type":"message_stop"}"#))
                == [.finished(.length, TokenUsage(input: 90, cachedInput: 7, cacheWrite: 5, output: 64))])
    }

    @Test func pingsBlockBoundariesToolBlocksAndUnknownEventsAreIgnored() throws {
        var decoder = translator.makeStreamDecoder(model: "m")
        var parser = SSEParser()
        let wire =
            AnthropicFixtures.toolUseBlocks + """
                event: ping
                data: {"type": "ping"}

                event: content_block_delta
                data: {"type":"content_block_delta","index":2,"delta":{"type":"thinking_delta","thinking":"hmm"}}

                event: brand_new_event
                data: {"type": "brand_new_event", "payload": {"anything": [1, 2, 3]}}

                data: {"type": "another_new_event"}


                """
        parser.append(Array(wire.utf8))
        while let event = try parser.next() { #expect(try decoder.consume(event) == []) }
        #expect(!decoder.isFinished)
        #expect(decoder.usageSoFar == .zero)
    }

    @Test func textInABlockStartIsNotLost() throws {
        var decoder = translator.makeStreamDecoder(model: "m")
        _ = try decoder.consume(SSEEvent(data: #"{"type":"message_start","message":{"id":"msg_2","model":"m"}}"#))
        let events = try decoder.consume(
            SSEEvent(data: #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":"Pre"}}"#))
        #expect(events == [.delta("Pre")])
    }

    @Test func theEventNameIsUsedWhenTheDataHasNoType() throws {
        var decoder = translator.makeStreamDecoder(model: "claude-3-haiku-20240307")
        #expect(
            try decoder.consume(SSEEvent(event: "message_stop", data: "{}"))
                == [.started(id: "", model: "claude-3-haiku-20240307"), .finished(.other, .zero)])
    }

    @Test func aStreamWithoutMessageStopIsNotFinished() throws {
        let wire = AnthropicFixtures.stream.replacingOccurrences(
            of: "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n", with: "")
        var reader = translator.makeStreamReader(model: "claude-3-5-sonnet")
        var events: [CompletionEvent] = []
        try reader.feed(Array(wire.utf8)) { events.append($0) }
        #expect(events == Array(Self.recordedEvents.dropLast()))
        #expect(!reader.isFinished)
        let error = #expect(throws: ProviderError.self) { try reader.finish() }
        #expect(error?.category == .network)
        #expect(error?.upstreamCode == "incomplete_stream")
        #expect(error?.usage == Self.finalUsage)
        #expect(error?.provider == .anthropic)
    }

    @Test func eventsAfterMessageStopAreIgnored() throws {
        var reader = translator.makeStreamReader(model: "m")
        var events: [CompletionEvent] = []
        let wire = AnthropicFixtures.stream + AnthropicFixtures.overloadedEvent + "data: not json\n\n"
        try reader.feed(Array(wire.utf8)) { events.append($0) }
        #expect(events == Self.recordedEvents)
        try reader.finish()
    }

    @Test func aMidStreamErrorEventIsClassifiedWithTheUsageSoFar() throws {
        let cut = AnthropicFixtures.stream.components(separatedBy: "event: content_block_stop")[0]
        let wire = cut + AnthropicFixtures.overloadedEvent
        var reader = translator.makeStreamReader(model: "claude-3-5-sonnet")
        var events: [CompletionEvent] = []
        let error = #expect(throws: ProviderError.self) { try reader.feed(Array(wire.utf8)) { events.append($0) } }
        #expect(events == Array(Self.recordedEvents.prefix(4)))
        #expect(error?.category == .overloaded)
        #expect(error?.upstreamCode == "overloaded_error")
        #expect(error?.message == "Overloaded")
        #expect(error?.httpStatus == nil)
        #expect(error?.usage == TokenUsage(input: 25, cachedInput: 1800, cacheWrite: 248, output: 1))
    }

    static let streamErrors: [(String, ProviderErrorCategory)] = [
        ("api_error", .serverError), ("rate_limit_error", .rateLimited), ("invalid_request_error", .invalidRequest),
        ("overloaded_error", .overloaded), ("something_new_error", .serverError),
    ]

    @Test(arguments: streamErrors)
    func errorEventTypes(_ type: String, _ category: ProviderErrorCategory) {
        var decoder = translator.makeStreamDecoder(model: "m")
        let error = #expect(throws: ProviderError.self) {
            try decoder.consume(
                SSEEvent(event: "error", data: #"{"type":"error","error":{"type":"\#(type)","message":"m"}}"#))
        }
        #expect(error?.category == category)
        #expect(error?.upstreamCode == type)
    }

    @Test func anErrorEventWithoutAnErrorObjectStillFails() {
        var decoder = translator.makeStreamDecoder(model: "m")
        let error = #expect(throws: ProviderError.self) { try decoder.consume(SSEEvent(event: "error", data: "{}")) }
        #expect(error?.category == .serverError)
    }

    @Test(arguments: [
        #"{"type": "content_block_delta", "delta": {"type": "text_delta", "text": "Hel"#, "garbage", "",
        #"{"type": "content_block_delta", "delta": {"type": "text_delta", "text": 3}}"#,
    ])
    func aMalformedEventIsAServerErrorWithTheUsageSoFar(_ data: String) throws {
        var decoder = translator.makeStreamDecoder(model: "m")
        _ = try decoder.consume(
            SSEEvent(
                data:
                    #"{"type":"message_start","message":{"id":"msg_3","model":"m","usage":{"input_tokens":9,"output_tokens":1}}}"#
            ))
        let error = #expect(throws: ProviderError.self) {
            try decoder.consume(SSEEvent(event: "content_block_delta", data: data))
        }
        #expect(error?.category == .serverError)
        #expect(error?.upstreamCode == "malformed_stream")
        #expect(error?.usage == TokenUsage(input: 9, output: 1))
    }

    @Test func crlfAndKeepAlivesDecodeTheSame() {
        let wire = AnthropicFixtures.stream.replacingOccurrences(of: "\n\n", with: "\n: keep-alive\n\n")
            .replacingOccurrences(of: "\n", with: "\r\n")
        let (events, error) = Support.replay(translator, [Array(wire.utf8)], model: "m")
        #expect(error == nil)
        #expect(events == Self.recordedEvents)
    }
}
