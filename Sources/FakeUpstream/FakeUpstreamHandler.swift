import NIOCore
import NIOHTTP1

/// Serves one connection: collects each whole request, asks the ``RequestRouter`` for the steps that answer it and
/// carries them out in order, one request at a time (pipelined requests wait their turn). Reads are never paused, so
/// a client that gives up on a stalled response is noticed and its connection closed. Confined to the channel's
/// event loop.
final class FakeUpstreamHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Larger request bodies are answered with 413 and the connection closed.
    static let maximumBodyBytes = 32 << 20

    private struct Received {
        var head: HTTPRequestHead
        var body: [UInt8]
        var tooLarge: Bool
    }

    /// The response being sent: the request it answers, its steps and the next step to run.
    private struct Current {
        var head: HTTPRequestHead
        var steps: [ResponseStep]
        var next = 0
        var closeAfterEnd: Bool
    }

    private let router: RequestRouter
    private var head: HTTPRequestHead?
    private var body = ByteBuffer()
    private var tooLarge = false
    private var waiting = CircularBuffer<Received>()
    private var current: Current?
    private var scheduled: Scheduled<Void>?
    private var lastWrite: EventLoopFuture<Void>?
    private var active = true

    init(router: RequestRouter) {
        self.router = router
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body.clear()
            tooLarge = false
            let expectsContinue = head.headers[canonicalForm: "expect"].contains { $0.lowercased() == "100-continue" }
            if expectsContinue, current == nil, waiting.isEmpty {
                let continueHead = HTTPResponseHead(version: head.version, status: .continue)
                context.writeAndFlush(wrapOutboundOut(.head(continueHead)), promise: nil)
            }
        case .body(var chunk):
            if body.readableBytes + chunk.readableBytes > Self.maximumBodyBytes {
                tooLarge = true
                body.clear()
            } else if !tooLarge {
                body.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            waiting.append(Received(head: head, body: Array(body.readableBytesView), tooLarge: tooLarge))
            self.head = nil
            body.clear()
            startNextIfIdle(context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        active = false
        scheduled?.cancel()
        scheduled = nil
        waiting.removeAll()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    private func startNextIfIdle(context: ChannelHandlerContext) {
        guard active, current == nil, let received = waiting.popFirst() else { return }
        let steps: [ResponseStep]
        var closeAfterEnd = !received.head.isKeepAlive
        if received.tooLarge {
            steps = ResponsePlanner.json(
                status: 413,
                body: .object(["error": .string("request body larger than \(Self.maximumBodyBytes) bytes")])
            )
            closeAfterEnd = true
        } else {
            steps = router.respond(to: received.head, body: received.body)
        }
        current = Current(head: received.head, steps: steps, closeAfterEnd: closeAfterEnd)
        run(context: context)
    }

    /// Runs steps until the response ends, waits (a delay, resumed by a scheduled task) or stops for good.
    private func run(context: ChannelHandlerContext) {
        while active, var response = current, response.next < response.steps.count {
            let step = response.steps[response.next]
            response.next += 1
            current = response
            switch step {
            case .head(let status, let fields):
                writeHead(context: context, status: status, fields: fields)
            case .body(let bytes):
                let buffer = context.channel.allocator.buffer(bytes: bytes)
                lastWrite = context.write(wrapOutboundOut(.body(.byteBuffer(buffer))))
            case .flush:
                context.flush()
            case .delay(let milliseconds):
                context.flush()
                scheduled = context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(Int64(milliseconds))) {
                    self.scheduled = nil
                    self.run(context: context)
                }
                return
            case .end:
                let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                current = nil
                lastWrite = nil
                if response.closeAfterEnd {
                    active = false
                    written.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                } else {
                    startNextIfIdle(context: context)
                }
                return
            case .close:
                active = false
                context.flush()
                if let lastWrite {
                    lastWrite.assumeIsolated().whenComplete { _ in context.close(promise: nil) }
                } else {
                    context.close(promise: nil)
                }
                return
            case .reset:
                active = false
                if let socket = context.channel as? any SocketOptionProvider {
                    socket.setSoLinger(NIOLinger(l_onoff: 1, l_linger: 0)).assumeIsolated().whenComplete { _ in
                        context.close(promise: nil)
                    }
                } else {
                    context.close(promise: nil)
                }
                return
            case .stall:
                context.flush()
                return
            }
        }
    }

    private func writeHead(context: ChannelHandlerContext, status: Int, fields: [ResponseStep.Header]) {
        guard var response = current else { return }
        var headers = HTTPHeaders(fields.map { ($0.name, $0.value) })
        if response.head.version.major == 1, response.head.version.minor == 0 {
            // HTTP/1.0 has no chunked encoding: such a body ends when the connection closes.
            if headers.contains(name: "transfer-encoding") {
                headers.remove(name: "transfer-encoding")
                response.closeAfterEnd = true
                current = response
            }
            if !response.closeAfterEnd { headers.add(name: "connection", value: "keep-alive") }
        }
        if response.closeAfterEnd { headers.replaceOrAdd(name: "connection", value: "close") }
        let head = HTTPResponseHead(
            version: response.head.version,
            status: HTTPResponseStatus(statusCode: status, reasonPhrase: status == 529 ? "Overloaded" : ""),
            headers: headers
        )
        context.write(wrapOutboundOut(.head(head)), promise: nil)
    }
}
