import FakeUpstream
import GatewayProviders
import Testing

@Suite("CurlHTTPClient: cancellation and shutdown", .timeLimit(.minutes(1)))
struct CurlHTTPClientCancellationTests {
    @Test("cancelling the task awaiting the head aborts at once and closes the connection")
    func cancelExecute() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.noResponse])
            let client = h.client
            let request = h.chatRequest()
            let task = Task { try await client.execute(request) }
            try await waitUntil { h.fake.attempts() == 1 }
            let cancelledAt = ContinuousClock.now
            task.cancel()
            let result = await task.result
            // Far below any upstream timeout; loose enough for a loaded 2-core CI machine.
            #expect(ContinuousClock.now - cancelledAt < .milliseconds(750))
            #expect((result.failure as? HTTPClientError)?.kind == .cancelled)
            #expect(await h.waitForConnectionsToClose())
            try await waitUntil { client.stats.transfersCancelled == 1 }
        }
    }

    @Test("cancelling the task iterating the body aborts at once and closes the connection")
    func cancelBodyIteration() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setReply(FakeReply(pieces: ["alpha", " beta", " gamma"], inputTokens: 1))
            h.fake.enqueue([.stallStream(afterPieces: 1)])
            let response = try await h.client.execute(h.chatRequest())
            let (firstChunk, firstChunkContinuation) = AsyncStream.makeStream(of: Void.self)
            let task = Task {
                var count = 0
                for try await _ in response.body {
                    count += 1
                    firstChunkContinuation.yield()
                }
                return count
            }
            var iterator = firstChunk.makeAsyncIterator()
            _ = await iterator.next()
            let cancelledAt = ContinuousClock.now
            task.cancel()
            let result = await task.result
            // Far below any upstream timeout; loose enough for a loaded 2-core CI machine.
            #expect(ContinuousClock.now - cancelledAt < .milliseconds(750))
            #expect((result.failure as? HTTPClientError)?.kind == .cancelled)
            #expect(await h.waitForConnectionsToClose())
        }
    }

    @Test("cancel() on the body and dropping a half-read response both close the connection")
    func cancelAndDropBody() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.setDefault(.stallStream(afterPieces: 1))
            let response = try await h.client.execute(h.chatRequest())
            response.body.cancel()
            let error = await #expect(throws: HTTPClientError.self) { try await response.body.collect(upTo: 1 << 20) }
            #expect(error?.kind == .cancelled)
            #expect(await h.waitForConnectionsToClose())

            do {
                let dropped = try await h.client.execute(h.chatRequest())
                #expect(dropped.status == 200)
            }
            #expect(await h.waitForConnectionsToClose())
            try await waitUntil { h.client.stats.transfersCancelled == 2 }
        }
    }

    @Test("shutdown fails requests in flight with .shutdown, and later ones too")
    func shutdownInFlight() async throws {
        try await FakeUpstreamHarness.with { h in
            h.fake.enqueue([.stallStream(afterPieces: 1), .noResponse])
            let client = h.client
            let streaming = try await client.execute(h.chatRequest())
            let request = h.chatRequest()
            let waiting = Task { try await client.execute(request) }
            try await waitUntil { h.fake.attempts() == 2 }
            let start = ContinuousClock.now
            client.shutdown()
            #expect(ContinuousClock.now - start < .milliseconds(500))
            #expect((await waiting.result.failure as? HTTPClientError)?.kind == .shutdown)
            let recording = await BodyRecording.read(streaming.body)
            #expect(recording.error?.kind == .shutdown)
            let error = await #expect(throws: HTTPClientError.self) { try await client.execute(request) }
            #expect(error?.kind == .shutdown)
            #expect(await h.waitForConnectionsToClose())
            client.shutdown()
        }
    }

    private func waitUntil(
        within limit: Duration = .seconds(2),
        _ condition: () -> Bool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let deadline = ContinuousClock.now + limit
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within \(limit)", sourceLocation: sourceLocation)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

extension Result {
    fileprivate var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
