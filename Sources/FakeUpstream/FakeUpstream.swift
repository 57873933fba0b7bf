import NIOCore
import NIOHTTP1
import NIOPosix

/// A real HTTP/1.1 server that speaks OpenAI's chat-completions (`POST /v1/chat/completions`) and Anthropic's
/// messages (`POST /v1/messages`) wire formats, streams included, and fails on cue.
///
/// It is what the gateway's provider client is tested against, what the bench drives, and what `aigw fake-upstream`
/// runs. It guarantees well-behaved HTTP/1.1: keep-alive, `Content-Length` on complete bodies, chunked
/// `text/event-stream` bodies for streams, pipelined requests answered in order, `100 Continue` when asked, and
/// thousands of concurrent connections (it runs on NIO's shared event loop group).
///
/// Per request it takes a ``FakeBehaviour`` from the scripted queues (``enqueue(_:model:)``), falling back to the
/// default (``setDefault(_:model:)``, initially `.ok`), and answers with the reply set by ``setReply(_:model:)`` or
/// else ``FakeReply/defaultReply(forLastUserMessage:systemAndMessages:)``. Requests to the provider endpoints are
/// recorded (``requests``) and counted (``attempts(model:)``). Other processes script it through the ``ControlAPI``
/// under `/_fake/`.
public final class FakeUpstream: Sendable {
    private let state: FakeUpstreamState
    private let serverChannel: any Channel

    /// The port the server listens on.
    public let port: Int
    /// `http://HOST:PORT` (IPv6 hosts in brackets).
    public let baseURL: String

    private init(state: FakeUpstreamState, serverChannel: any Channel, host: String, port: Int) {
        self.state = state
        self.serverChannel = serverChannel
        self.port = port
        self.baseURL = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// Starts listening; port 0 picks a free port.
    public static func start(
        host: String = "127.0.0.1",
        port: Int = 0,
        configuration: FakeUpstream.Configuration = .init()
    ) async throws -> FakeUpstream {
        let state = FakeUpstreamState(configuration: configuration)
        let router = RequestRouter(state: state)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.connectionOpened(channel)
                channel.closeFuture.whenComplete { _ in state.connectionClosed(channel) }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false,
                        withErrorHandling: true
                    )
                    try channel.pipeline.syncOperations.addHandler(FakeUpstreamHandler(router: router))
                }
            }
            .bind(host: host, port: port)
            .get()
        guard let boundPort = channel.localAddress?.port else {
            try? await channel.close()
            throw FakeUpstreamError(message: "the listening socket has no port")
        }
        return FakeUpstream(state: state, serverChannel: channel, host: host, port: boundPort)
    }

    /// Stops listening and closes every open connection (stalled ones included). Calling it twice is harmless.
    public func shutdown() async throws {
        do {
            try await serverChannel.close()
        } catch ChannelError.alreadyClosed {
        }
        for channel in state.openChannels {
            try? await channel.close()
        }
    }

    /// Behaviours consumed one per request, FIFO, by requests whose model equals `model` (nil: any model). A
    /// model-specific queue wins over the any-model queue.
    public func enqueue(_ behaviours: [FakeBehaviour], model: String? = nil) {
        state.enqueue(behaviours, model: model)
    }

    /// What matching requests get once the queues are empty (initially `.ok`). A model's default wins over the
    /// any-model default.
    public func setDefault(_ behaviour: FakeBehaviour, model: String? = nil) {
        state.setDefault(behaviour, model: model)
    }

    /// Overrides the reply (text pieces and usage) for a model (nil: any). A model's reply wins over the any-model one.
    public func setReply(_ reply: FakeReply, model: String? = nil) {
        state.setReply(reply, model: model)
    }

    /// Delay between streamed text pieces (default 0).
    public func setTokenDelay(milliseconds: Int) {
        state.setTokenDelay(milliseconds: milliseconds)
    }

    /// Clears queues, defaults, replies, counters (``connectionsAccepted`` included) and the request log. The token
    /// delay and the configuration stay; open connections stay open.
    public func reset() {
        state.reset()
    }

    /// Requests that reached the provider endpoints (/v1/chat/completions, /v1/messages) with POST, in arrival
    /// order, at most ``Configuration/requestLogLimit`` of the latest.
    public var requests: [FakeUpstream.RecordedRequest] {
        state.requests
    }

    /// Number of provider-endpoint requests received (every attempt counts, failed and rejected ones too),
    /// optionally for one model.
    public func attempts(model: String? = nil) -> Int {
        state.attempts(model: model)
    }

    /// POSTs to the webhook sink (`/hooks/...`), oldest first.
    public var webhooks: [FakeUpstream.WebhookDelivery] {
        state.webhooks
    }

    /// The next `count` webhook POSTs are answered 503, so tests can watch delivery retries.
    public func failWebhooks(next count: Int) {
        state.failWebhooks(next: count)
    }

    /// TCP connections accepted so far (control API connections too), which lets tests prove keep-alive reuse.
    public var connectionsAccepted: Int {
        state.stats.connectionsAccepted
    }

    /// TCP connections open now.
    public var openConnections: Int {
        state.stats.openConnections
    }

    /// The reply the fake gives when none is set; see
    /// ``FakeReply/defaultReply(forLastUserMessage:systemAndMessages:)``.
    public static func defaultReply(
        forLastUserMessage lastUserMessage: String,
        systemAndMessages: [String]
    )
        -> FakeReply
    {
        FakeReply.defaultReply(forLastUserMessage: lastUserMessage, systemAndMessages: systemAndMessages)
    }
}

/// A fake upstream failed to start.
public struct FakeUpstreamError: Error, CustomStringConvertible, Sendable {
    public var message: String

    public var description: String { "fake upstream: \(message)" }
}
