import GatewayCore
import GatewayProviders
import Testing

@Suite("OpenAI translator: error classification")
struct OpenAIErrorTests {
    let translator = OpenAITranslator(apiKey: "sk-test", clock: ManualClock(unixMillis: 1_767_225_600_000))
    typealias Support = TranslatorTestSupport

    struct Row: CustomStringConvertible, Sendable {
        var status: Int
        var body: String
        var category: ProviderErrorCategory
        var code: String?
        var description: String { "HTTP \(status) \(code ?? "-") → \(category)" }
    }

    static let rows: [Row] = [
        Row(
            status: 400, body: OpenAIFixtures.contextLengthExceeded, category: .invalidRequest,
            code: "context_length_exceeded"),
        Row(
            status: 422, body: OpenAIFixtures.error("Unprocessable", type: "invalid_request_error", code: nil),
            category: .invalidRequest, code: "invalid_request_error"),
        Row(status: 401, body: OpenAIFixtures.invalidAPIKey, category: .authentication, code: "invalid_api_key"),
        Row(
            status: 403, body: OpenAIFixtures.unsupportedRegion, category: .permission,
            code: "unsupported_country_region_territory"),
        Row(status: 404, body: OpenAIFixtures.modelNotFound, category: .notFound, code: "model_not_found"),
        Row(
            status: 408, body: OpenAIFixtures.error("Request timed out.", type: "timeout", code: nil),
            category: .timeout,
            code: "timeout"),
        Row(
            status: 409, body: OpenAIFixtures.error("Conflict", type: "conflict", code: nil), category: .serverError,
            code: "conflict"),
        Row(status: 429, body: OpenAIFixtures.rateLimited, category: .rateLimited, code: "rate_limit_exceeded"),
        Row(status: 429, body: OpenAIFixtures.insufficientQuota, category: .quotaExhausted, code: "insufficient_quota"),
        Row(
            status: 429, body: OpenAIFixtures.error("Quota", type: "insufficient_quota", code: nil),
            category: .quotaExhausted, code: "insufficient_quota"),
        Row(
            status: 429, body: OpenAIFixtures.error("Quota", type: "requests", code: "insufficient_quota"),
            category: .quotaExhausted, code: "insufficient_quota"),
        Row(status: 500, body: OpenAIFixtures.serverError, category: .serverError, code: "server_error"),
        Row(status: 502, body: OpenAIFixtures.serverError, category: .serverError, code: "server_error"),
        Row(status: 503, body: OpenAIFixtures.engineOverloaded, category: .overloaded, code: "server_error"),
        Row(status: 504, body: OpenAIFixtures.serverError, category: .serverError, code: "server_error"),
        Row(status: 529, body: OpenAIFixtures.engineOverloaded, category: .overloaded, code: "server_error"),
        Row(status: 507, body: OpenAIFixtures.serverError, category: .serverError, code: "server_error"),
        Row(
            status: 413, body: OpenAIFixtures.error("Too large", type: "invalid_request_error", code: nil),
            category: .invalidRequest, code: "invalid_request_error"),
        Row(
            status: 418, body: OpenAIFixtures.error("Teapot", type: "teapot", code: nil), category: .invalidRequest,
            code: "teapot"),
    ]

    @Test(arguments: rows)
    func classifies(_ row: Row) {
        let error = translator.decodeError(
            status: row.status, header: Support.noHeaders, body: Array(row.body.utf8), model: "gpt-4o")
        #expect(error.category == row.category)
        #expect(error.upstreamCode == row.code)
        #expect(error.httpStatus == row.status)
        #expect(error.provider == .openai)
        #expect(error.model == "gpt-4o")
        #expect(error.retryAfterMillis == nil)
        #expect(error.shouldRetry == nil)
        #expect(error.usage == .zero)
    }

    @Test func messagesAreTheUpstreamsWithTheRequestID() {
        let error = translator.decodeError(
            status: 400, header: Support.headers(["X-Request-Id": "req_abc123"]),
            body: Array(OpenAIFixtures.contextLengthExceeded.utf8), model: "gpt-4o")
        #expect(error.message.hasPrefix("This model's maximum context length is 128000 tokens."))
        #expect(error.message.hasSuffix("(request id req_abc123)"))
        #expect(error.description.contains("HTTP 400"))
    }

    @Test func aNonJSONBodyClassifiesByStatusWithATruncatedMessage() {
        let error = translator.decodeError(
            status: 502, header: Support.noHeaders, body: Array(OpenAIFixtures.htmlBadGateway.utf8), model: "gpt-4o")
        #expect(error.category == .serverError)
        #expect(error.upstreamCode == nil)
        #expect(error.httpStatus == 502)
        #expect(error.message.contains("HTTP 502"))
        #expect(error.message.contains("<title>502 Bad Gateway</title>"))
        #expect(!error.message.contains("\r") && !error.message.contains("\n"))

        let long = "<html>" + String(repeating: "x", count: 5000) + "</html>"
        let truncated = translator.decodeError(
            status: 503, header: Support.noHeaders, body: Array(long.utf8), model: "gpt-4o")
        #expect(truncated.category == .overloaded)
        #expect(truncated.message.count < 300)
        #expect(truncated.message.hasSuffix("…"))
    }

    @Test(arguments: [
        (500, ""), (429, "   "), (401, "[1,2]"), (404, #"{"detail":"Not Found"}"#), (400, #"{"error":null}"#),
        (500, "\u{FF}\u{FE} binary"),
    ])
    func oddBodiesStillClassifyByStatus(_ status: Int, _ body: String) {
        let error = translator.decodeError(
            status: status, header: Support.noHeaders, body: Array(body.utf8), model: "m")
        let expected: ProviderErrorCategory =
            switch status {
            case 429: .rateLimited
            case 401: .authentication
            case 404: .notFound
            case 400: .invalidRequest
            default: .serverError
            }
        #expect(error.category == expected)
        #expect(error.httpStatus == status)
        #expect(!error.message.isEmpty)
    }

    @Test func aBareStringErrorIsTheMessage() {
        let error = translator.decodeError(
            status: 400, header: Support.noHeaders, body: Array(#"{"error":"bad things"}"#.utf8), model: "m")
        #expect(error.category == .invalidRequest)
        #expect(error.message == "bad things")
    }

    @Test func retryHintsComeFromTheHeaders() {
        let body = Array(OpenAIFixtures.rateLimited.utf8)
        func decode(_ headers: [String: String]) -> ProviderError {
            translator.decodeError(status: 429, header: Support.headers(headers), body: body, model: "gpt-4o")
        }
        #expect(decode(["retry-after-ms": "2148"]).retryAfterMillis == 2148)
        #expect(decode(["Retry-After-Ms": "1500.2"]).retryAfterMillis == 1501)
        #expect(decode(["retry-after": "3"]).retryAfterMillis == 3000)
        #expect(decode(["Retry-After": "0.5"]).retryAfterMillis == 500)
        #expect(decode(["retry-after-ms": "250", "retry-after": "1"]).retryAfterMillis == 250)
        #expect(decode(["retry-after-ms": "soon", "retry-after": "1"]).retryAfterMillis == 1000)
        // 2026-01-01T00:00:00Z is the clock's now; the date is 30 s later.
        #expect(decode(["retry-after": "Thu, 01 Jan 2026 00:00:30 GMT"]).retryAfterMillis == 30_000)
        #expect(decode(["x-should-retry": "true"]).shouldRetry == true)
        #expect(decode(["X-Should-Retry": "false"]).shouldRetry == false)
        #expect(decode([:]).shouldRetry == nil)
    }
}
