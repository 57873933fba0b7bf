import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus scrape endpoint: a small HTTP/1.1 server that answers `GET /metrics` (and `HEAD`) with the text
/// exposition, 404 for any other path and 405 for other methods.
///
/// It binds to loopback unless the operator allows otherwise (`metrics.allow_remote`), since the metrics name models
/// and reveal traffic. A request body is never read into memory (a request with one is refused), headers are capped
/// by NIO's parser, each connection is closed after its answer and any connection still open after 10 s is closed,
/// so a client cannot make it hold more than one exposition per connection, nor connections for long.
final class MetricsHTTPServer: Sendable {
    private let metrics: GatewayMetrics
    private let group: any EventLoopGroup

    init(metrics: GatewayMetrics, group: any EventLoopGroup) {
        self.metrics = metrics
        self.group = group
    }

    /// Binds `host:port`; returns the channel and the bound "host:port".
    func bind(host: String, port: Int) async throws -> (any Channel, String) {
        let metrics = self.metrics
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.backlog, value: 64)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: false, withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(MetricsRequestHandler(metrics: metrics))
                }
            }
            .bind(host: host, port: port).get()
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return (channel, "\(shownHost):\(channel.localAddress?.port ?? port)")
    }

    /// Whether `host` is a loopback address or name, which `metrics.listen` may use without `allow_remote`.
    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }
}

/// Answers one request per connection.
private final class MetricsRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let metrics: GatewayMetrics
    private var head: HTTPRequestHead?
    private var hasBody = false
    private var answered = false
    private var timeout: Scheduled<Void>?

    init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        timeout = context.eventLoop.scheduleTask(in: .seconds(10)) { bound.value.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timeout?.cancel()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            hasBody = true
        case .end:
            guard let head, !answered else { return }
            self.head = nil
            answered = true
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        var body = ByteBuffer()
        if path != "/metrics" {
            body.writeString("not found: metrics are at /metrics\n")
            write(context, head, .notFound, body, "text/plain; charset=utf-8")
        } else if head.method != .GET && head.method != .HEAD {
            body.writeString("use GET\n")
            write(context, head, .methodNotAllowed, body, "text/plain; charset=utf-8")
        } else if hasBody {
            body.writeString("a scrape has no body\n")
            write(context, head, .badRequest, body, "text/plain; charset=utf-8")
        } else {
            // Collectors may suspend (a Redis read): gather off the loop, write back on it.
            let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
            let boundContext = NIOLoopBound(context, eventLoop: context.eventLoop)
            let loop = context.eventLoop
            let metrics = self.metrics
            Task {
                let bytes = await metrics.exposition()
                loop.execute {
                    var body = ByteBuffer()
                    body.writeBytes(bytes)
                    bound.value.write(boundContext.value, head, .ok, body, "text/plain; version=0.0.4; charset=utf-8")
                }
            }
        }
    }

    private func write(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, _ body: ByteBuffer,
        _ contentType: String
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: contentType)
        headers.add(name: "Content-Length", value: String(body.readableBytes))
        headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))),
                      promise: nil)
        if head.method != .HEAD { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
