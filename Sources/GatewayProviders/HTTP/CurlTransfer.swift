import CCurl
import CGatewayShims

/// One request's journey through libcurl: what the curl thread needs to run it and what the Swift side needs to wait
/// on it.
///
/// Ownership is split by thread. `request`, the prepared header list and body, and `channel` are fixed at creation or
/// are themselves thread-safe; everything under "Curl thread" is touched only by the `CurlMultiLoop` thread (the write
/// and header callbacks run there too, inside `curl_multi_perform`). The loop's list of active transfers keeps each
/// one alive while libcurl holds its address (CURLOPT_PRIVATE, _WRITEDATA and _HEADERDATA are unretained `Unmanaged`
/// pointers).
final class CurlTransfer: @unchecked Sendable {
    let request: HTTPRequest
    let channel: TransferChannel
    let loop: CurlMultiLoop
    let startedAt: ContinuousClock.Instant
    /// The request headers as libcurl wants them, built off the curl thread; freed on deinit, after libcurl is done.
    let headerList: UnsafeMutablePointer<curl_slist>?
    /// A copy of the body with a stable address for CURLOPT_POSTFIELDS, which libcurl sends without copying.
    let bodyBytes: UnsafeMutableRawBufferPointer

    // MARK: Curl thread
    var easy: CurlEasyHandle?
    var activeIndex = -1
    var headArrived = false
    var pausedForConsumer = false
    var lastDataAt: ContinuousClock.Instant
    private var status = 0
    private var headers: [(name: String, value: String)] = []

    /// Validates the request and prepares what libcurl needs from it.
    init(request: HTTPRequest, loop: CurlMultiLoop, bufferLimit: Int) throws(HTTPClientError) {
        try Self.validate(request)
        self.request = request
        self.loop = loop
        self.channel = TransferChannel(bufferLimit: bufferLimit)
        self.startedAt = .now
        self.lastDataAt = startedAt
        var list: UnsafeMutablePointer<curl_slist>?
        var hasContentType = false
        for header in request.headers {
            if HTTPResponse.headerName(header.name, equals: "content-type") { hasContentType = true }
            // "Name;" is libcurl's spelling of a header with an empty value; "Name:" would remove the header.
            list = Self.append(list, header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        // No `Expect: 100-continue` round trip, and no form Content-Type made up by libcurl for a POST body.
        list = Self.append(list, "Expect:")
        if !hasContentType { list = Self.append(list, "Content-Type:") }
        self.headerList = list
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, request.body.count), alignment: 1)
        request.body.withUnsafeBytes { source in
            if let base = source.baseAddress { bytes.baseAddress!.copyMemory(from: base, byteCount: source.count) }
        }
        self.bodyBytes = bytes
    }

    deinit {
        curl_slist_free_all(headerList)
        bodyBytes.deallocate()
    }

    /// Aborts the transfer: settles whatever waits with `.cancelled` now, then has the curl thread remove the handle
    /// (which closes the connection, since it is mid-response). Idempotent, and harmless after the end.
    func cancel() {
        if channel.requestCancel() { _ = loop.enqueue(.cancel(self)) }
    }

    /// The next body chunk for `HTTPResponseBody`, nil at the end.
    func nextChunk() async throws(HTTPClientError) -> [UInt8]? {
        if Task.isCancelled { cancel() }
        if let (result, unpause) = channel.poll() {
            if unpause { _ = loop.enqueue(.unpause(self)) }
            return try result.get()
        }
        let result = await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: TransferChannel.BodyContinuation) in
                if channel.park(continuation) { _ = loop.enqueue(.unpause(self)) }
            }
        } onCancel: {
            self.cancel()
        }
        return try result.get()
    }

    // MARK: Curl thread: timers

    /// The earliest instant at which one of this transfer's timeouts can expire (connect is libcurl's).
    var nextDeadline: ContinuousClock.Instant {
        var deadline = startedAt + request.timeouts.total
        if !headArrived {
            deadline = min(deadline, startedAt + request.timeouts.firstByte)
        } else if !pausedForConsumer {
            deadline = min(deadline, lastDataAt + request.timeouts.idle)
        }
        return deadline
    }

    /// The timeout that has expired by `now`, the earliest one if several have.
    func expiredPhase(at now: ContinuousClock.Instant) -> HTTPClientError.TimeoutPhase? {
        var phase: HTTPClientError.TimeoutPhase?
        var earliest = startedAt + request.timeouts.total
        if now >= earliest { phase = .total }
        if !headArrived {
            let firstByte = startedAt + request.timeouts.firstByte
            if now >= firstByte && (phase == nil || firstByte < earliest) {
                phase = .firstByte
                earliest = firstByte
            }
        } else if !pausedForConsumer {
            let idle = lastDataAt + request.timeouts.idle
            if now >= idle && (phase == nil || idle < earliest) { phase = .idle }
        }
        return phase
    }

    func timeoutError(_ phase: HTTPClientError.TimeoutPhase) -> HTTPClientError {
        let limit: Duration
        switch phase {
        case .connect: limit = request.timeouts.connect
        case .firstByte: limit = request.timeouts.firstByte
        case .idle: limit = request.timeouts.idle
        case .total: limit = request.timeouts.total
        }
        return HTTPClientError(.timeout(phase), message: "\(phase) timeout (\(limit)) expired for \(request.url)")
    }

    // MARK: Curl thread: callbacks

    /// CURLOPT_HEADERFUNCTION: one header line at a time, status lines included, for every response head (1xx
    /// interim heads too). The final head goes to `execute` at its blank line.
    func receiveHeaderLine(_ line: UnsafeRawBufferPointer) {
        if headArrived { return }  // trailers
        var end = line.count
        while end > 0 && (line[end - 1] == 0x0A || line[end - 1] == 0x0D) { end -= 1 }
        let text = UnsafeRawBufferPointer(rebasing: line[..<end])
        if text.isEmpty {
            guard status >= 200 else {
                headers.removeAll()
                return
            }
            headArrived = true
            lastDataAt = .now
            loop.scheduleTimerCheck(at: lastDataAt + request.timeouts.idle)
            let response = HTTPResponse(status: status, headers: headers, body: HTTPResponseBody(transfer: self))
            headers = []
            channel.deliverHead(response)
        } else if text.starts(with: "HTTP/".utf8) {
            status = Self.parseStatus(text)
            headers.removeAll()
        } else if text[0] == 0x20 || text[0] == 0x09 {
            // An obsolete folded continuation line: part of the previous value.
            guard let last = headers.popLast() else { return }
            headers.append((last.name, last.value + " " + Self.trimmed(text)))
        } else if let colon = text.firstIndex(of: 0x3A) {
            let name = String(decoding: UnsafeRawBufferPointer(rebasing: text[..<colon]), as: UTF8.self)
            headers.append((name, Self.trimmed(UnsafeRawBufferPointer(rebasing: text[(colon + 1)...]))))
        }
    }

    /// CURLOPT_WRITEFUNCTION: body bytes, straight to the consumer.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        lastDataAt = .now
        switch channel.deliver(bytes) {
        case .accepted:
            return bytes.count
        case .pause:
            pausedForConsumer = true
            loop.bodyPauses.wrappingAdd(1, ordering: .relaxed)
            return CGatewayCurl_writefunc_pause
        }
    }

    // MARK: Helpers

    private static func validate(_ request: HTTPRequest) throws(HTTPClientError) {
        func invalid(_ message: String) -> HTTPClientError { HTTPClientError(.invalidRequest, message: message) }
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(isTokenByte) else {
            throw invalid("invalid method \"\(request.method)\"")
        }
        guard request.url.hasPrefix("http://") || request.url.hasPrefix("https://") else {
            throw invalid("not an http or https URL: \(request.url)")
        }
        guard !request.url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) else {
            throw invalid("the URL contains whitespace or control characters")
        }
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(isTokenByte) else {
                throw invalid("invalid header name \"\(header.name)\"")
            }
            guard !header.value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D || $0 == 0 }) else {
                throw invalid("the value of header \(header.name) contains CR, LF or NUL")
            }
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func append(
        _ list: UnsafeMutablePointer<curl_slist>?,
        _ line: String
    ) -> UnsafeMutablePointer<curl_slist>? {
        line.withCString { curl_slist_append(list, $0) } ?? list
    }

    /// The status code from "HTTP/1.1 200 OK" or "HTTP/2 200".
    private static func parseStatus(_ line: UnsafeRawBufferPointer) -> Int {
        guard let space = line.firstIndex(of: 0x20) else { return 0 }
        var status = 0
        var index = space + 1
        while index < line.count, (0x30...0x39).contains(line[index]) {
            status = status * 10 + Int(line[index] - 0x30)
            index += 1
        }
        return status
    }

    private static func trimmed(_ bytes: UnsafeRawBufferPointer) -> String {
        var start = 0
        var end = bytes.count
        while start < end && (bytes[start] == 0x20 || bytes[start] == 0x09) { start += 1 }
        while end > start && (bytes[end - 1] == 0x20 || bytes[end - 1] == 0x09) { end -= 1 }
        return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<end]), as: UTF8.self)
    }
}
