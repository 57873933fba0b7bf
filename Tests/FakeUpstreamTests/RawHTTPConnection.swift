import Foundation
import NIOCore
import NIOPosix

/// A bare HTTP/1.1 client on one TCP connection that shows the raw wire: the status line, header fields as sent, the
/// body's framing (each chunk of a chunked body) and how the connection ended (cleanly, FIN, RST, or a timeout).
/// Used from one task at a time.
final class RawHTTPConnection {
    enum Event: Sendable {
        case bytes(ByteBuffer)
        case closed
        case reset
        case failed(String)
        case timeout(Int)
    }

    let channel: any Channel
    private var events: AsyncStream<Event>.Iterator
    private let continuation: AsyncStream<Event>.Continuation
    private var buffer: [UInt8] = []
    /// How the connection ended, once it has.
    private(set) var ended: RawHTTPResponse.Ending?
    private var timeoutToken = 0

    private init(channel: any Channel, stream: AsyncStream<Event>, continuation: AsyncStream<Event>.Continuation) {
        self.channel = channel
        self.events = stream.makeAsyncIterator()
        self.continuation = continuation
    }

    static func connect(port: Int, host: String = "127.0.0.1") async throws -> RawHTTPConnection {
        let (stream, continuation) = AsyncStream<Event>.makeStream()
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Collector(continuation: continuation))
                }
            }
            .connect(host: host, port: port)
            .get()
        return RawHTTPConnection(channel: channel, stream: stream, continuation: continuation)
    }

    func send(_ text: String) async throws {
        try await send(Array(text.utf8))
    }

    func send(_ bytes: [UInt8]) async throws {
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes))
    }

    func close() async {
        try? await channel.close()
    }

    /// Reads one response (skipping 1xx ones, which are listed in `informational`), giving up after `timeout`. With
    /// `stopWhen`, returns early (ending `.stopped`) once what was read so far satisfies it (checked after each 1xx
    /// response and each chunk of a chunked body).
    func readResponse(
        timeout: Duration = .seconds(10),
        stopWhen: ((RawHTTPResponse) -> Bool)? = nil
    ) async -> RawHTTPResponse {
        timeoutToken += 1
        let token = timeoutToken
        let continuation = self.continuation
        let timer = Task {
            try await Task.sleep(for: timeout)
            continuation.yield(.timeout(token))
        }
        defer { timer.cancel() }
        var response = RawHTTPResponse()
        // The head.
        while true {
            guard let end = find([13, 10, 13, 10]) else {
                if let ending = await fill(token: token) {
                    response.ending = ending
                    return response
                }
                continue
            }
            let lines = String(decoding: buffer[..<end], as: UTF8.self).components(separatedBy: "\r\n")
            buffer.removeFirst(end + 4)
            let statusLine = lines[0].split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
            if (100..<200).contains(status) {
                response.informational.append(status)
                if let stopWhen, stopWhen(response) {
                    response.ending = .stopped
                    return response
                }
                continue
            }
            response.statusLine = lines[0]
            response.status = status
            response.headers = lines.dropFirst().compactMap { line in
                guard let colon = line.firstIndex(of: ":") else { return nil }
                return (String(line[..<colon]), String(line[line.index(after: colon)...]).trimmingSpaces())
            }
            break
        }
        // The body.
        if response.header("transfer-encoding")?.lowercased() == "chunked" {
            response.chunked = true
            while true {
                guard let lineEnd = find([13, 10]) else {
                    if let ending = await fill(token: token) {
                        response.ending = ending
                        return response
                    }
                    continue
                }
                let sizeText = String(decoding: buffer[..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
                guard let size = Int(sizeText.trimmingSpaces(), radix: 16) else {
                    response.ending = .failed("bad chunk size line \"\(sizeText)\"")
                    return response
                }
                if size == 0 {
                    // Trailers end with an empty line.
                    while find([13, 10, 13, 10], from: lineEnd) == nil {
                        if let ending = await fill(token: token) {
                            response.ending = ending
                            return response
                        }
                    }
                    let trailerEnd = find([13, 10, 13, 10], from: lineEnd)!
                    buffer.removeFirst(trailerEnd + 4)
                    response.ending = .complete
                    return response
                }
                while buffer.count < lineEnd + 2 + size + 2 {
                    if let ending = await fill(token: token) {
                        response.ending = ending
                        return response
                    }
                }
                let chunk = Array(buffer[(lineEnd + 2)..<(lineEnd + 2 + size)])
                guard buffer[lineEnd + 2 + size] == 13, buffer[lineEnd + 3 + size] == 10 else {
                    response.ending = .failed("chunk not followed by CRLF")
                    return response
                }
                buffer.removeFirst(lineEnd + 2 + size + 2)
                response.chunks.append(chunk)
                response.body += chunk
                if let stopWhen, stopWhen(response) {
                    response.ending = .stopped
                    return response
                }
            }
        } else if let lengthText = response.header("content-length") {
            let length = Int(lengthText) ?? 0
            while buffer.count < length {
                if let ending = await fill(token: token) {
                    response.body = buffer
                    buffer = []
                    response.ending = ending
                    return response
                }
            }
            response.body = Array(buffer.prefix(length))
            buffer.removeFirst(length)
            response.ending = .complete
            return response
        } else {
            // Delimited by the connection closing (HTTP/1.0 style).
            while true {
                if let ending = await fill(token: token) {
                    response.body = buffer
                    buffer = []
                    response.ending = ending == .closed ? .complete : ending
                    return response
                }
            }
        }
    }

    /// Waits until the peer closes the connection (or the timeout passes) and says how it ended.
    func waitForClose(timeout: Duration = .seconds(5)) async -> RawHTTPResponse.Ending {
        timeoutToken += 1
        let token = timeoutToken
        let continuation = self.continuation
        let timer = Task {
            try await Task.sleep(for: timeout)
            continuation.yield(.timeout(token))
        }
        defer { timer.cancel() }
        while true {
            if let ending = await fill(token: token) { return ending }
        }
    }

    /// True when nothing arrives and the connection stays open for `duration`.
    func staysQuiet(for duration: Duration) async -> Bool {
        let before = buffer.count
        return await waitForClose(timeout: duration) == .timedOut && buffer.count == before
    }

    /// Reads more bytes into the buffer; returns how the read ended if no more will come.
    private func fill(token: Int) async -> RawHTTPResponse.Ending? {
        if let ended { return ended }
        while true {
            guard let event = await events.next() else {
                ended = .closed
                return .closed
            }
            switch event {
            case .bytes(let bytes):
                buffer += bytes.readableBytesView
                return nil
            case .closed:
                ended = .closed
                return .closed
            case .reset:
                ended = .reset
                return .reset
            case .failed(let message):
                ended = .failed(message)
                return ended
            case .timeout(let expired):
                if expired == token { return .timedOut }
            }
        }
    }

    private func find(_ needle: [UInt8], from start: Int = 0) -> Int? {
        guard buffer.count >= needle.count else { return nil }
        var index = start
        while index + needle.count <= buffer.count {
            if buffer[index] == needle[0], Array(buffer[index..<index + needle.count]) == needle { return index }
            index += 1
        }
        return nil
    }

    /// Passes what the socket reads and how it ends into the connection's event stream.
    private final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer

        let continuation: AsyncStream<Event>.Continuation
        private var reported = false

        init(continuation: AsyncStream<Event>.Continuation) {
            self.continuation = continuation
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            continuation.yield(.bytes(unwrapInboundIn(data)))
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if !reported {
                reported = true
                if let error = error as? IOError, error.errnoCode == ECONNRESET {
                    continuation.yield(.reset)
                } else {
                    continuation.yield(.failed("\(error)"))
                }
            }
            context.close(promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !reported {
                reported = true
                continuation.yield(.closed)
            }
            continuation.finish()
        }
    }
}

/// One response as it came off the wire.
struct RawHTTPResponse {
    enum Ending: Equatable, Sendable {
        /// The body ended as its framing says.
        case complete
        /// The peer closed the connection (FIN) first.
        case closed
        /// The peer reset the connection (RST) first.
        case reset
        /// Nothing more came before the timeout.
        case timedOut
        /// The reader stopped as asked, before the body ended.
        case stopped
        case failed(String)
    }

    var statusLine = ""
    /// 0 when no response head arrived.
    var status = 0
    var headers: [(name: String, value: String)] = []
    var informational: [Int] = []
    var chunked = false
    /// The payload of each chunk, for chunked bodies.
    var chunks: [[UInt8]] = []
    var body: [UInt8] = []
    var ending = Ending.timedOut

    func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }

    var text: String { String(decoding: body, as: UTF8.self) }
}

extension StringProtocol {
    func trimmingSpaces() -> String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
