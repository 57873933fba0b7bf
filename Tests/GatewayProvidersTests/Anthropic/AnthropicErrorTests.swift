import GatewayCore
import GatewayProviders
import Testing

@Suite("Anthropic translator: error classification")
struct AnthropicErrorTests {
    let translator = AnthropicTranslator(apiKey: "k", clock: ManualClock(unixMillis: 1_767_225_600_000))
    typealias Support = TranslatorTestSupport

    /// The documented HTTP errors, each with its error type, plus types and statuses that disagree.
    static let rows: [(Int, String, ProviderErrorCategory)] = [
        (400, "invalid_request_error", .invalidRequest),
        (401, "authentication_error", .authentication),
        (402, "billing_error", .quotaExhausted),
        (403, "permission_error", .permission),
        (404, "not_found_error", .notFound),
        (413, "request_too_large", .invalidRequest),
        (429, "rate_limit_error", .rateLimited),
        (500, "api_error", .serverError),
        (504, "timeout_error", .timeout),
        (529, "overloaded_error", .overloaded),
        (400, "billing_error", .quotaExhausted),  // the type wins over the status
        (500, "overloaded_error", .overloaded),
        (529, "future_error", .overloaded),  // an unknown type falls back to the status
        (503, "future_error", .overloaded),
        (408, "future_error", .timeout),
        (409, "future_error", .serverError),
        (422, "future_error", .invalidRequest),
        (418, "future_error", .invalidRequest),
        (502, "future_error", .serverError),
    ]

    @Test(arguments: rows)
    func classifies(_ status: Int, _ type: String, _ category: ProviderErrorCategory) {
        let body = AnthropicFixtures.error(type, "Something about \(type).")
        let error = translator.decodeError(
            status: status, header: Support.noHeaders, body: Array(body.utf8), model: "m")
        #expect(error.category == category)
        #expect(error.upstreamCode == type)
        #expect(error.httpStatus == status)
        #expect(error.provider == .anthropic)
        #expect(error.message == "Something about \(type). (request id req_011CSHoEeqs5C35K2UUqR7Fy)")
    }

    @Test func theRequestIDHeaderWinsOverTheBodys() {
        let error = translator.decodeError(
            status: 529, header: Support.headers(["Request-Id": "req_header"]),
            body: Array(AnthropicFixtures.error("overloaded_error", "Overloaded").utf8), model: "m")
        #expect(error.message == "Overloaded (request id req_header)")
    }

    @Test func aNonJSONBodyClassifiesByStatus() {
        let html = "<html><body><h1>529 Site is overloaded</h1></body></html>"
        let error = translator.decodeError(status: 529, header: Support.noHeaders, body: Array(html.utf8), model: "m")
        #expect(error.category == .overloaded)
        #expect(error.upstreamCode == nil)
        #expect(error.message.contains("HTTP 529"))
        #expect(error.message.contains("529 Site is overloaded"))

        let empty = translator.decodeError(status: 401, header: Support.noHeaders, body: [], model: "m")
        #expect(empty.category == .authentication)
        #expect(empty.message == "HTTP 401 with an empty body")
    }

    @Test func retryHintsComeFromTheHeaders() {
        let body = Array(
            AnthropicFixtures.error(
                "rate_limit_error", "Number of request tokens has exceeded your per-minute rate limit"
            ).utf8)
        func decode(_ headers: [String: String]) -> ProviderError {
            translator.decodeError(status: 429, header: Support.headers(headers), body: body, model: "m")
        }
        #expect(decode(["retry-after": "17"]).retryAfterMillis == 17_000)
        #expect(decode(["retry-after-ms": "17.5", "retry-after": "17"]).retryAfterMillis == 18)
        #expect(decode(["retry-after": "Thu, 01 Jan 2026 00:00:02 GMT"]).retryAfterMillis == 2_000)
        #expect(decode(["retry-after": "garbage"]).retryAfterMillis == nil)
        #expect(decode(["x-should-retry": "false"]).shouldRetry == false)
        #expect(decode(["x-should-retry": "true"]).shouldRetry == true)
        #expect(decode([:]).retryAfterMillis == nil)
        #expect(decode([:]).shouldRetry == nil)
    }

    @Test func shouldRetryFalseOverridesARetryableCategory() {
        let error = translator.decodeError(
            status: 529, header: Support.headers(["x-should-retry": "false"]),
            body: Array(AnthropicFixtures.error("overloaded_error", "Overloaded").utf8), model: "m")
        #expect(error.category == .overloaded)
        #expect(!error.isRetryable)
    }
}
