import FakeUpstream
import Foundation
import Testing

@Suite struct ScriptingTests {
    private func status(_ fake: FakeUpstream, model: String) async throws -> Int {
        try await exchange(fake, Requests.openAI(model: model)).status
    }

    @Test func queuesAreFIFOAndAModelsQueueWins() async throws {
        try await withFake { (fake) async throws in
            fake.enqueue([.status(500), .status(503)])
            fake.enqueue([.status(429), .status(404)], model: "gpt-4o")
            #expect(try await status(fake, model: "gpt-4o") == 429)
            #expect(try await status(fake, model: "other") == 500)
            #expect(try await status(fake, model: "gpt-4o") == 404)
            // gpt-4o's queue is empty: the any-model queue serves it.
            #expect(try await status(fake, model: "gpt-4o") == 503)
            #expect(try await status(fake, model: "gpt-4o") == 200)
            #expect(try await status(fake, model: "other") == 200)
            fake.enqueue([.status(502)])
            fake.enqueue([.status(401)])
            #expect(try await status(fake, model: "x") == 502)
            #expect(try await status(fake, model: "x") == 401)
        }
    }

    @Test func defaultsApplyOnceTheQueuesAreEmpty() async throws {
        try await withFake { (fake) async throws in
            fake.setDefault(.status(503))
            fake.setDefault(.status(429), model: "limited")
            fake.enqueue([.ok], model: "limited")
            #expect(try await status(fake, model: "limited") == 200)
            #expect(try await status(fake, model: "limited") == 429)
            #expect(try await status(fake, model: "limited") == 429)
            #expect(try await status(fake, model: "free") == 503)
            fake.setDefault(.ok)
            #expect(try await status(fake, model: "free") == 200)
            #expect(try await status(fake, model: "limited") == 429)
        }
    }

    @Test func attemptsCountEveryProviderRequest() async throws {
        try await withFake(.init(openAIKey: "k")) { (fake) async throws in
            fake.enqueue([.status(500), .resetConnection])
            _ = try await exchange(fake, Requests.openAI(model: "a", key: "k"))
            _ = try await exchange(fake, Requests.openAI(model: "a", key: "k"))
            _ = try await exchange(fake, Requests.openAI(model: "a", key: "wrong"))
            _ = try await exchange(fake, Requests.openAI(model: "b", key: "k"))
            _ = try await exchange(fake, Requests.anthropic(model: "c"))
            _ = try await exchange(fake, Requests.raw(method: "GET", path: "/_fake/stats"))
            #expect(fake.attempts() == 5)
            #expect(fake.attempts(model: "a") == 3)
            #expect(fake.attempts(model: "b") == 1)
            #expect(fake.attempts(model: "c") == 1)
            #expect(fake.attempts(model: "never") == 0)
            #expect(fake.requests.map(\.model) == ["a", "a", "a", "b", "c"])
            #expect(fake.requests.map(\.provider) == [.openai, .openai, .openai, .openai, .anthropic])
        }
    }

    @Test func rejectedRequestsDoNotConsumeBehaviours() async throws {
        try await withFake(.init(anthropicKey: "k")) { (fake) async throws in
            fake.enqueue([.status(529)])
            #expect(try await exchange(fake, Requests.anthropic(key: "bad")).status == 401)
            #expect(try await exchange(fake, Requests.anthropic(maxTokens: nil, key: "k")).status == 400)
            #expect(try await exchange(fake, Requests.anthropic(key: "k")).status == 529)
            #expect(fake.attempts() == 3)
        }
    }

    @Test func resetClearsTheScriptAndCounters() async throws {
        try await withFake { (fake) async throws in
            fake.enqueue([.status(500)], model: "m")
            fake.enqueue([.status(500)])
            fake.setDefault(.status(503))
            fake.setReply(FakeReply(pieces: ["z"], inputTokens: 1))
            _ = try await exchange(fake, Requests.openAI(model: "n"))
            #expect(fake.attempts() == 1)
            fake.reset()
            #expect(fake.attempts() == 0)
            #expect(fake.requests.isEmpty)
            #expect(fake.connectionsAccepted == 0)
            let json = try parseJSON(try await exchange(fake, Requests.openAI(model: "m")).body)
            #expect(value(json, "choices", 0, "message", "content") as? String == "You said: hello world")
            #expect(fake.attempts() == 1)
            #expect(fake.connectionsAccepted == 1)
        }
    }

    @Test func theRequestLogKeepsTheLatestEntries() async throws {
        try await withFake(.init(requestLogLimit: 2)) { (fake) async throws in
            for model in ["a", "b", "c"] { _ = try await exchange(fake, Requests.openAI(model: model)) }
            #expect(fake.requests.map(\.model) == ["b", "c"])
            #expect(fake.attempts() == 3)
        }
    }

    @Test func controlAPIScriptsTheFake() async throws {
        try await withFake { (fake) async throws in
            func control(_ path: String, _ body: String = "", method: String = "POST") async throws -> RawHTTPResponse {
                try await exchange(fake, Requests.raw(method: method, path: path, body: body))
            }
            let enqueued = try await control(
                "/_fake/enqueue",
                #"{"model":"gpt-4o","behaviours":["status:429:retry-after=3","ok"]}"#
            )
            #expect(enqueued.status == 200)
            #expect(enqueued.text == #"{"ok":true}"#)
            #expect(try await control("/_fake/enqueue", #"{"model":null,"behaviours":["overloaded"]}"#).status == 200)
            #expect(try await control("/_fake/default", #"{"behaviour":"status:503"}"#).status == 200)
            #expect(
                try await control("/_fake/reply", #"{"model":"claude","text":"fixed answer","input_tokens":9}"#).status
                    == 200
            )

            let limited = try await exchange(fake, Requests.openAI(model: "gpt-4o"))
            #expect(limited.status == 429)
            #expect(limited.header("retry-after") == "3")
            #expect(try await status(fake, model: "gpt-4o") == 200)
            #expect(try await status(fake, model: "gpt-4o") == 529)
            #expect(try await status(fake, model: "gpt-4o") == 503)
            #expect(try await control("/_fake/default", #"{"behaviour":"ok"}"#).status == 200)
            let reply = try parseJSON(try await exchange(fake, Requests.anthropic(model: "claude")).body)
            #expect(value(reply, "content", 0, "text") as? String == "fixed answer")
            #expect(value(reply, "usage", "input_tokens") as? Int == 9)
            #expect(value(reply, "usage", "output_tokens") as? Int == 2)

            let stats = try await control("/_fake/stats", method: "GET")
            #expect(stats.status == 200)
            let statsJSON = try parseJSON(stats.body)
            #expect(statsJSON["total_attempts"] as? Int == 5)
            #expect(value(statsJSON, "attempts", "gpt-4o") as? Int == 4)
            #expect(value(statsJSON, "attempts", "claude") as? Int == 1)
            #expect(statsJSON["connections_accepted"] as? Int == fake.connectionsAccepted)
            #expect(statsJSON["open_connections"] as? Int == 1, "the stats request's own connection")

            let requests = try parseJSON(try await control("/_fake/requests", method: "GET").body)
            let list = try #require(requests["requests"] as? [[String: Any]])
            #expect(list.count == 5)
            #expect(list.last?["provider"] as? String == "anthropic")
            #expect(list.last?["model"] as? String == "claude")
            #expect((list.last?["body"] as? String)?.contains("\"max_tokens\"") == true)

            #expect(try await control("/_fake/token-delay", #"{"milliseconds":1}"#).status == 200)
            #expect(try await control("/_fake/reset").status == 200)
            #expect(fake.attempts() == 0)
            let afterReset = try parseJSON(try await exchange(fake, Requests.anthropic(model: "claude")).body)
            #expect(value(afterReset, "content", 0, "text") as? String == "You said: hello world")
            #expect(fake.attempts() == 1, "control requests are never attempts")
        }
    }

    @Test func controlAPIRejectsBadInput() async throws {
        try await withFake { (fake) async throws in
            func control(_ path: String, _ body: String, method: String = "POST") async throws -> RawHTTPResponse {
                try await exchange(fake, Requests.raw(method: method, path: path, body: body))
            }
            let badBehaviour = try await control("/_fake/enqueue", #"{"behaviours":["status:abc"]}"#)
            #expect(badBehaviour.status == 400)
            #expect((try parseJSON(badBehaviour.body)["error"] as? String)?.contains("status:abc") == true)
            #expect(try await control("/_fake/enqueue", "not json").status == 400)
            #expect(try await control("/_fake/enqueue", #"{"behaviours":"ok"}"#).status == 400)
            #expect(try await control("/_fake/enqueue", #"{"model":5,"behaviours":["ok"]}"#).status == 400)
            #expect(try await control("/_fake/default", #"{}"#).status == 400)
            #expect(try await control("/_fake/reply", #"{"input_tokens":1}"#).status == 400)
            #expect(try await control("/_fake/token-delay", #"{"milliseconds":-1}"#).status == 400)
            let wrongMethod = try await control("/_fake/stats", "")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("allow") == "GET")
            #expect(try await control("/_fake/nothing", "").status == 404)
            // Nothing was enqueued by the rejected calls.
            #expect(try await status(fake, model: "m") == 200)
        }
    }
}
