import GatewayCore
import NIOCore
import NIOHTTP1
import NIOPosix

/// The Prometheus scrape endpoint: a small HTTP/1.1 server that answers `GET /metrics` (and `HEAD`) with the text
/// exposition, 404 for any other path and 405 for other methods.
///
/// It binds to loopback unless the operator allows otherwise (`metrics.allow_remote`), since the metrics name models
/// and reveal traffic. A request body is never read into memory (a request with one is refused), headers are capped
/// by NIO's parser, and each connection is closed after its answer, so a client cannot make it hold more than one
/// exposition per connection.
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

    init(metrics: GatewayMetrics) {
        self.metrics = metrics
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body:
            hasBody = true
        case .end:
            guard let head else { return }
            self.head = nil
            respond(context, head)
        }
    }

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let status: HTTPResponseStatus
        var body = ByteBuffer()
        var contentType = "text/plain; charset=utf-8"
        if path != "/metrics" {
            status = .notFound
            body.writeString("not found: metrics are at /metrics\n")
        } else if head.method != .GET && head.method != .HEAD {
            status = .methodNotAllowed
            body.writeString("use GET\n")
        } else if hasBody {
            status = .badRequest
            body.writeString("a scrape has no body\n")
        } else {
            status = .ok
            contentType = "text/plain; version=0.0.4; charset=utf-8"
            body.writeBytes(metrics.exposition())
        }
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
