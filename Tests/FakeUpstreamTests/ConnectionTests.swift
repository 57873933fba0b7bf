import FakeUpstream
import Foundation
import Testing

@Suite struct ConnectionTests {
    @Test func requestsReuseOneKeepAliveConnection() async throws {
        try await withFake { fake in
            fake.enqueue([.status(503)])
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(Requests.openAI())
            #expect(await connection.readResponse().status == 503)
            try await connection.send(Requests.openAI(stream: true))
            let stream = await connection.readResponse()
            #expect(stream.status == 200)
            #expect(stream.ending == .complete)
            try await connection.send(Requests.anthropic(stream: true))
            #expect(await connection.readResponse().ending == .complete)
            try await connection.send(Requests.anthropic())
            let last = await connection.readResponse()
            #expect(last.status == 200)
            #expect(last.header("connection") == nil)
            #expect(fake.connectionsAccepted == 1)
            #expect(fake.openConnections == 1)
            #expect(fake.attempts() == 4)
            await connection.close()
            #expect(try await eventually { fake.openConnections == 0 })
            #expect(fake.connectionsAccepted == 1)
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withFake { fake in
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(Requests.openAI(headers: [("Connection", "close")]))
            let response = await connection.readResponse()
            #expect(response.status == 200)
            #expect(response.header("connection") == "close")
            #expect(await connection.waitForClose() == .closed)
        }
    }

    @Test func http10StreamIsDelimitedByClose() async throws {
        try await withFake { fake in
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(Requests.openAI(stream: true, version: "HTTP/1.0"))
            let response = await connection.readResponse()
            #expect(response.statusLine.hasPrefix("HTTP/1.0 200"))
            #expect(!response.chunked)
            #expect(response.header("transfer-encoding") == nil)
            #expect(response.ending == .complete)
            #expect(ParsedSSE(response.body).events.last?.data == "[DONE]")
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withFake { fake in
            fake.enqueue([.slowFirstToken(milliseconds: 30), .status(429)])
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(
                Requests.openAI(user: "first", stream: true) + Requests.anthropic(user: "second") + Requests.openAI()
            )
            let first = await connection.readResponse()
            #expect(first.status == 200)
            #expect(first.chunked)
            #expect(ParsedSSE(first.body).events.count == 6)  // role, three pieces, finish, [DONE]
            let second = await connection.readResponse()
            #expect(second.status == 429)
            #expect(second.header("request-id") != nil, "an Anthropic error")
            let third = await connection.readResponse()
            #expect(third.status == 200)
            #expect(
                value(try parseJSON(third.body), "choices", 0, "message", "content") as? String
                    == "You said: hello world"
            )
            #expect(fake.connectionsAccepted == 1)
            await connection.close()
        }
    }

    @Test func expect100ContinueGetsAnInterimResponse() async throws {
        try await withFake { fake in
            let body = Requests.json(["model": "gpt-4o", "messages": [["role": "user", "content": "hi"]]])
            let connection = try await RawHTTPConnection.connect(port: fake.port)
            try await connection.send(
                "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                    + "Content-Length: \(body.utf8.count)\r\nExpect: 100-continue\r\n\r\n"
            )
            let interim = await connection.readResponse { !$0.informational.isEmpty }
            #expect(interim.informational == [100], "100 Continue before the body is sent")
            try await connection.send(body)
            let response = await connection.readResponse()
            #expect(response.status == 200)
            #expect(
                value(try parseJSON(response.body), "choices", 0, "message", "content") as? String == "You said: hi"
            )
            await connection.close()
        }
    }

    @Test func unknownPathsAndWrongMethodsGetJSONErrors() async throws {
        try await withFake { fake in
            let unknown = try await exchange(fake, Requests.raw(method: "GET", path: "/v1/nope"))
            #expect(unknown.status == 404)
            let unknownBody = try parseJSON(unknown.body)
            #expect(value(unknownBody, "error", "message") as? String == "Invalid URL (GET /v1/nope)")
            #expect(value(unknownBody, "error", "type") as? String == "invalid_request_error")

            let anthropicUnknown = try await exchange(
                fake,
                Requests.raw(path: "/v1/complete", headers: [("anthropic-version", "2023-06-01")])
            )
            #expect(anthropicUnknown.status == 404)
            #expect(value(try parseJSON(anthropicUnknown.body), "error", "type") as? String == "not_found_error")

            let wrongMethod = try await exchange(fake, Requests.raw(method: "GET", path: "/v1/chat/completions"))
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("allow") == "POST")
            #expect(value(try parseJSON(wrongMethod.body), "error", "type") as? String == "invalid_request_error")

            let wrongMethodAnthropic = try await exchange(fake, Requests.raw(method: "PUT", path: "/v1/messages"))
            #expect(wrongMethodAnthropic.status == 405)
            #expect(try parseJSON(wrongMethodAnthropic.body)["type"] as? String == "error")

            #expect(fake.attempts() == 0, "only POSTs to provider endpoints are attempts")
            #expect(fake.requests.isEmpty)
        }
    }

    @Test func aQueryStringDoesNotChangeTheRoute() async throws {
        try await withFake { fake in
            let body = Requests.json(["model": "m", "messages": [["role": "user", "content": "q"]]])
            let response = try await exchange(
                fake,
                Requests.raw(path: "/v1/chat/completions?api-version=1", body: body)
            )
            #expect(response.status == 200)
            #expect(fake.requests.first?.path == "/v1/chat/completions")
            #expect(fake.requests.first?.uri == "/v1/chat/completions?api-version=1")
        }
    }

    @Test func shutdownClosesStalledConnections() async throws {
        let fake = try await FakeUpstream.start()
        fake.enqueue([.stallStream(afterPieces: 0), .noResponse])
        let stalled = try await RawHTTPConnection.connect(port: fake.port)
        try await stalled.send(Requests.openAI(stream: true))
        let partial = await stalled.readResponse { ParsedSSE($0.body).events.count == 1 }
        #expect(partial.ending == .stopped)
        let silent = try await RawHTTPConnection.connect(port: fake.port)
        try await silent.send(Requests.openAI())
        #expect(try await eventually { fake.attempts() == 2 })
        try await fake.shutdown()
        #expect(await stalled.waitForClose() == .closed)
        #expect(await silent.waitForClose() == .closed)
        try await fake.shutdown()
        await #expect(throws: (any Error).self) { _ = try await RawHTTPConnection.connect(port: fake.port) }
    }

    @Test func servesAThousandConcurrentConnections() async throws {
        try await withFake { fake in
            let count = 1000
            let port = fake.port
            // Every connection is open before any request is sent, so all of them are live at once.
            let opened = AsyncStream<Void>.makeStream()
            let go = Gate()
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for index in 0..<count {
                    group.addTask {
                        let connection = try await RawHTTPConnection.connect(port: port)
                        opened.continuation.yield()
                        await go.wait()
                        try await connection.send(Requests.openAI(model: "m\(index % 4)", stream: index % 2 == 0))
                        let response = await connection.readResponse(timeout: .seconds(60))
                        await connection.close()
                        return response.ending == .complete ? response.status : -1
                    }
                }
                var connected = 0
                for await _ in opened.stream {
                    connected += 1
                    if connected == count { break }
                }
                #expect(try await eventually { fake.openConnections == count })
                await go.open()
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.count == count)
            #expect(statuses.allSatisfy { $0 == 200 })
            #expect(fake.connectionsAccepted == count)
            #expect(fake.attempts() == count)
            #expect(fake.attempts(model: "m0") == count / 4)
        }
    }
}
