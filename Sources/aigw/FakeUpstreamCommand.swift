import ArgumentParser
import FakeUpstream
import Foundation
import Logging
import ServiceLifecycle

/// `aigw fake-upstream`: runs the OpenAI/Anthropic fake as its own process, for demos, Python tests and the bench
/// when the gateway under test runs out of process. Scripted through its control API under `/_fake/`.
struct FakeUpstreamCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-upstream",
        abstract: "Run a fake OpenAI/Anthropic upstream (with scripted failures) until SIGINT or SIGTERM.",
        discussion: """
            Serves POST /v1/chat/completions and POST /v1/messages. Script it over HTTP: POST /_fake/enqueue \
            {"model": null, "behaviours": ["status:429:retry-after=1", "ok"]}, POST /_fake/default, POST /_fake/reply, \
            POST /_fake/token-delay, POST /_fake/reset, GET /_fake/stats, GET /_fake/requests.
            """
    )

    @Option(name: .long, help: "TCP port (0 picks a free one).")
    var port: Int = 0

    @Option(name: .long, help: "Address to listen on.")
    var host: String = "127.0.0.1"

    @Option(name: .customLong("openai-key"), help: "Require this OpenAI key (Authorization: Bearer) or answer 401.")
    var openAIKey: String?

    @Option(name: .customLong("anthropic-key"), help: "Require this Anthropic key (x-api-key) or answer 401.")
    var anthropicKey: String?

    @Flag(
        name: .customLong("messy-sse"),
        help: "Frame streams like real-world upstreams: CRLF, comments, split events."
    )
    var messySSE = false

    @Option(name: .customLong("token-delay-ms"), help: "Delay between streamed text pieces, in milliseconds.")
    var tokenDelayMilliseconds: Int = 0

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0...65535") }
        guard tokenDelayMilliseconds >= 0 else { throw ValidationError("--token-delay-ms must not be negative") }
    }

    func run() async throws {
        let upstream = try await FakeUpstream.start(
            host: host,
            port: port,
            configuration: .init(openAIKey: openAIKey, anthropicKey: anthropicKey, sseStyle: messySSE ? .messy : .plain)
        )
        upstream.setTokenDelay(milliseconds: tokenDelayMilliseconds)
        let logger = Logger(label: "aigw.fake-upstream")
        let group = ServiceGroup(
            configuration: .init(
                services: [FakeUpstreamService(upstream: upstream)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// Keeps the fake running until graceful shutdown, then closes it.
    private struct FakeUpstreamService: Service {
        let upstream: FakeUpstream

        func run() async throws {
            // The service group traps the signals before it runs services, so once this line is out a SIGTERM is
            // never lost.
            print("fake-upstream listening: \(upstream.baseURL)")
            fflush(nil)
            try? await gracefulShutdown()
            try await upstream.shutdown()
        }
    }
}
