/// What the fake does with one provider request: answer normally or fail in one of the ways real providers and
/// networks fail.
///
/// Behaviours are consumed one per request from the queues set with ``FakeUpstream/enqueue(_:model:)``. The same
/// behaviour produces the provider-correct wire shape for whichever endpoint is hit. "Pieces" are the reply's text
/// pieces (one per content event). Requests rejected before a behaviour is chosen (bad key, bad JSON, missing
/// required fields) consume none.
public enum FakeBehaviour: Sendable, Hashable, CustomStringConvertible {
    /// The normal answer.
    case ok
    /// An HTTP error with the provider's exact error JSON and ``FakeError``'s retry headers, stream or not.
    case status(Int, FakeError = .init())
    /// Read the request, then close the socket with no response, with a TCP RST (SO_LINGER 0).
    case resetConnection
    /// Read the request and never answer; the socket stays open until the client closes it or the fake shuts down.
    case noResponse
    /// Send the response head and first bytes only after the delay (a non-stream response: all of it after the delay).
    case slowFirstToken(milliseconds: Int)
    /// Stream: send the events up to and including the piece numbered `afterPieces` (0: none), then close the
    /// connection without the chunked body's final chunk. Non-stream: send the head and half the body, then close.
    case cutStream(afterPieces: Int)
    /// Like ``cutStream(afterPieces:)`` but then send nothing more and keep the connection open.
    case stallStream(afterPieces: Int)
    /// Stream: after `afterPieces` pieces, a `data:` line whose JSON is cut off, then the rest of the stream as
    /// normal, ending cleanly (a parser that skips bad lines would silently lose text; this catches it). Non-stream:
    /// a 200 whose body is truncated JSON with a correct Content-Length.
    case malformedChunk(afterPieces: Int)
    /// Stream: everything but OpenAI's `data: [DONE]` / Anthropic's `message_stop`, then end the body cleanly.
    /// Non-stream: the normal answer.
    case missingDone
    /// Stream: after `afterPieces` pieces, an in-stream error (OpenAI `data: {"error":{...}}`, Anthropic
    /// `event: error` with an `overloaded_error`), then end the body cleanly. Non-stream: that error as an HTTP error
    /// (OpenAI 500 `server_error`, Anthropic 529 `overloaded_error`).
    case midStreamError(afterPieces: Int)

    /// A 429 rate limit, optionally with `retry-after` / `retry-after-ms`.
    public static func rateLimited(retryAfterSeconds: Int? = nil, retryAfterMilliseconds: Int? = nil) -> FakeBehaviour {
        .status(429, .rateLimit(retryAfterSeconds: retryAfterSeconds, retryAfterMilliseconds: retryAfterMilliseconds))
    }

    /// 429 out of quota (OpenAI `insufficient_quota`).
    public static let quotaExceeded = FakeBehaviour.status(429, .quota)
    /// 400 context length exceeded.
    public static let contextLengthExceeded = FakeBehaviour.status(400, .contextLength)
    /// 401 invalid API key.
    public static let unauthorized = FakeBehaviour.status(401, .authentication)
    /// 403 permission denied.
    public static let forbidden = FakeBehaviour.status(403, .permission)
    /// 404 model not found.
    public static let modelNotFound = FakeBehaviour.status(404, .modelNotFound)
    /// 500 internal error, optionally with `x-should-retry`.
    public static func serverError(shouldRetry: Bool? = nil) -> FakeBehaviour {
        .status(500, .server(shouldRetry: shouldRetry))
    }
    /// 503 service unavailable.
    public static let serviceUnavailable = FakeBehaviour.status(503, .unavailable)
    /// 529 overloaded (Anthropic's status for it; OpenAI endpoints send the same status with a `server_error`).
    public static let overloaded = FakeBehaviour.status(529, .overloaded)

    /// Why a behaviour string was rejected.
    public struct ParseError: Error, CustomStringConvertible, Sendable {
        public var input: String
        public var reason: String

        public var description: String { "invalid behaviour \"\(input)\": \(reason)" }
    }

    /// Parses the compact form used by the control API and `aigw fake-upstream`:
    ///
    /// - `ok`, `reset`, `no-response`, `missing-done`
    /// - `slow-first-token:MS`, `cut:N`, `stall:N`, `malformed:N`, `error-event:N`
    /// - `status:CODE` (400–599), then options separated by `:`: `retry-after=S`, `retry-after-ms=MS`,
    ///   `should-retry=true|false`, `kind=KIND`, `type=T`, `code=C`, and last `message=TEXT` (may contain `:`).
    /// - a ``FakeError/Kind`` name as shorthand for its default status with that kind, taking the same options but
    ///   `kind`: `invalid-request` (400), `context-length` (400), `auth` (401), `permission` (403), `not-found`
    ///   (404), `rate-limit` (429), `quota` (429), `server-error` (500), `unavailable` (503), `overloaded` (529).
    ///
    /// ``description`` gives the canonical form back, so `FakeBehaviour(parsing: b.description) == b`.
    public init(parsing input: String) throws {
        func fail(_ reason: String) -> ParseError { ParseError(input: input, reason: reason) }
        let text = input.trimmingWhitespace()
        var parts = text.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        // `message=` swallows the rest of the string, colons included.
        if let messageIndex = parts.firstIndex(where: { $0.hasPrefix("message=") }) {
            parts[messageIndex] = parts[messageIndex...].joined(separator: ":")
            parts.removeSubrange((messageIndex + 1)...)
        }
        let name = parts[0]
        let arguments = Array(parts.dropFirst())

        func count() throws -> Int {
            guard arguments.count == 1 else { throw fail("\(name) takes exactly one number, like \(name):3") }
            guard let value = Int(arguments[0]), value >= 0 else {
                throw fail("\"\(arguments[0])\" is not a non-negative integer")
            }
            return value
        }
        func noArguments() throws {
            guard arguments.isEmpty else { throw fail("\(name) takes no arguments") }
        }

        switch name {
        case "ok":
            try noArguments()
            self = .ok
        case "reset":
            try noArguments()
            self = .resetConnection
        case "no-response":
            try noArguments()
            self = .noResponse
        case "missing-done":
            try noArguments()
            self = .missingDone
        case "slow-first-token": self = .slowFirstToken(milliseconds: try count())
        case "cut": self = .cutStream(afterPieces: try count())
        case "stall": self = .stallStream(afterPieces: try count())
        case "malformed": self = .malformedChunk(afterPieces: try count())
        case "error-event": self = .midStreamError(afterPieces: try count())
        case "status":
            guard let codeText = arguments.first else { throw fail("status needs a code, like status:429") }
            guard let status = Int(codeText), (400...599).contains(status) else {
                throw fail("\"\(codeText)\" is not an HTTP error status (400-599)")
            }
            self = .status(status, try FakeBehaviour.parseOptions(arguments.dropFirst(), kind: nil, fail: fail))
        default:
            guard let kind = FakeError.Kind(rawValue: name), kind != .automatic else {
                throw fail("unknown behaviour \"\(name)\"")
            }
            self = .status(kind.defaultStatus, try FakeBehaviour.parseOptions(arguments[...], kind: kind, fail: fail))
        }
    }

    private static func parseOptions(
        _ options: ArraySlice<String>,
        kind fixedKind: FakeError.Kind?,
        fail: (String) -> ParseError
    ) throws -> FakeError {
        var error = FakeError(kind: fixedKind ?? .automatic)
        var seen: Set<String> = []
        for option in options {
            guard let equals = option.firstIndex(of: "=") else { throw fail("option \"\(option)\" is not key=value") }
            let key = String(option[..<equals])
            let value = String(option[option.index(after: equals)...])
            guard seen.insert(key).inserted else { throw fail("option \(key) given twice") }
            func number() throws -> Int {
                guard let number = Int(value), number >= 0 else { throw fail("\(key) needs a non-negative integer") }
                return number
            }
            switch key {
            case "retry-after": error.retryAfterSeconds = try number()
            case "retry-after-ms": error.retryAfterMilliseconds = try number()
            case "should-retry":
                guard let flag = Bool(value) else { throw fail("should-retry needs true or false") }
                error.shouldRetry = flag
            case "kind":
                guard fixedKind == nil else { throw fail("kind= only goes with status:CODE") }
                guard let kind = FakeError.Kind(rawValue: value), kind != .automatic else {
                    throw fail("unknown error kind \"\(value)\"")
                }
                error.kind = kind
            case "type": error.type = value
            case "code": error.code = value
            case "message": error.message = value
            default: throw fail("unknown option \"\(key)\"")
            }
        }
        return error
    }

    /// The canonical compact form, accepted by ``init(parsing:)``.
    public var description: String {
        switch self {
        case .ok: return "ok"
        case .resetConnection: return "reset"
        case .noResponse: return "no-response"
        case .missingDone: return "missing-done"
        case .slowFirstToken(let milliseconds): return "slow-first-token:\(milliseconds)"
        case .cutStream(let pieces): return "cut:\(pieces)"
        case .stallStream(let pieces): return "stall:\(pieces)"
        case .malformedChunk(let pieces): return "malformed:\(pieces)"
        case .midStreamError(let pieces): return "error-event:\(pieces)"
        case .status(let status, let error):
            var parts: [String]
            if error.kind == .automatic {
                parts = ["status", String(status)]
            } else if error.kind.defaultStatus == status {
                parts = [error.kind.rawValue]
            } else {
                parts = ["status", String(status), "kind=\(error.kind.rawValue)"]
            }
            if let seconds = error.retryAfterSeconds { parts.append("retry-after=\(seconds)") }
            if let milliseconds = error.retryAfterMilliseconds { parts.append("retry-after-ms=\(milliseconds)") }
            if let shouldRetry = error.shouldRetry { parts.append("should-retry=\(shouldRetry)") }
            if let type = error.type { parts.append("type=\(type)") }
            if let code = error.code { parts.append("code=\(code)") }
            if let message = error.message { parts.append("message=\(message)") }
            return parts.joined(separator: ":")
        }
    }
}

extension String {
    /// The string without leading and trailing whitespace (Foundation-free).
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }), let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}
