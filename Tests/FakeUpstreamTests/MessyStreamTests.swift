import FakeUpstream
import Foundation
import Testing

/// The messy SSE style is still valid SSE that yields exactly the plain style's events.
@Suite struct MessyStreamTests {
    @Test(arguments: FakeProvider.allCases)
    func messyStreamsParseToTheSameEvents(provider: FakeProvider) async throws {
        let user = "one two three four five six seven eight nine ten"
        var plainEvents: [ParsedSSE.Event] = []
        try await withFake { fake in
            plainEvents =
                ParsedSSE(try await exchange(fake, Requests.to(provider, user: user, stream: true)).body).events
        }
        try await withFake(.init(sseStyle: .messy)) { fake in
            let response = try await exchange(fake, Requests.to(provider, user: user, stream: true))
            #expect(response.status == 200)
            #expect(response.ending == .complete)
            let text = response.text
            #expect(text.contains("\r\n"))
            let parsed = ParsedSSE(response.body)
            #expect(parsed.comments.contains(" keep-alive"))
            #expect(parsed.comments.count >= 3)
            #expect(
                response.chunks.contains { !String(decoding: $0, as: UTF8.self).hasSuffix("\r\n\r\n") },
                "some chunk ends mid-event"
            )
            #expect(response.chunks.count < plainEvents.count + 2, "several events share chunks")
            #expect(parsed.names == plainEvents.map(\.name))
            #expect(parsed.events.count == plainEvents.count)
            for (messy, plain) in zip(parsed.events, plainEvents) {
                if plain.data == "[DONE]" {
                    #expect(messy.data.trimmingCharacters(in: .whitespaces) == "[DONE]")
                    continue
                }
                let messyJSON = try messy.json()
                let plainJSON = try plain.json()
                #expect(messyJSON["type"] as? String == plainJSON["type"] as? String)
                #expect(value(messyJSON, "delta", "text") as? String == value(plainJSON, "delta", "text") as? String)
                #expect(
                    value(messyJSON, "choices", 0, "delta", "content") as? String
                        == value(plainJSON, "choices", 0, "delta", "content") as? String
                )
            }
        }
    }

    @Test func messyStyleAppliesToScriptedFailuresToo() async throws {
        try await withFake(.init(sseStyle: .messy)) { fake in
            fake.enqueue([.cutStream(afterPieces: 3)])
            let response = try await exchange(fake, Requests.anthropic(stream: true))
            #expect(response.ending == .closed)
            #expect(ParsedSSE(response.body).events.filter { $0.name == "content_block_delta" }.count == 3)
        }
    }
}
