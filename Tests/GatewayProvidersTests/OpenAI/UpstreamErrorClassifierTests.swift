import GatewayCore
import Testing

@testable import GatewayProviders

/// The rules both translators share; they live in Translation/ and are tested once here.
@Suite("Upstream error classification rules")
struct UpstreamErrorClassifierTests {
    typealias Classifier = UpstreamErrorClassifier
    static let now: Int64 = 1_767_225_600_000  // 2026-01-01T00:00:00Z

    static func retryAfter(_ headers: [String: String]) -> Int64? {
        Classifier.retryAfterMillis(TranslatorTestSupport.headers(headers), nowMillis: now)
    }

    static let statuses: [(Int, ProviderErrorCategory)] = [
        (400, .invalidRequest), (401, .authentication), (402, .invalidRequest), (403, .permission),
        (404, .notFound), (405, .invalidRequest), (408, .timeout), (409, .serverError), (413, .invalidRequest),
        (422, .invalidRequest), (429, .rateLimited), (499, .invalidRequest), (500, .serverError), (501, .serverError),
        (502, .serverError), (503, .overloaded), (504, .serverError), (520, .serverError), (529, .overloaded),
        (599, .serverError), (200, .serverError), (302, .serverError), (0, .serverError), (600, .serverError),
    ]

    @Test(arguments: statuses)
    func statusCategories(_ status: Int, _ category: ProviderErrorCategory) {
        #expect(Classifier.category(forStatus: status) == category)
    }

    static let millisValues: [(String, Int64?)] = [
        ("2148", 2148), ("0", 0), ("1500.2", 1501), ("0.4", 1), (" 20 ", 20), ("1e3", nil), ("-5", nil),
        ("abc", nil), ("", nil), (".", nil), ("1.2.3", nil), ("inf", nil), ("nan", nil), ("0x10", nil),
    ]

    @Test(arguments: millisValues)
    func retryAfterMillisHeader(_ value: String, _ expected: Int64?) {
        #expect(Self.retryAfter(["retry-after-ms": value]) == expected)
    }

    static let secondsValues: [(String, Int64?)] = [
        ("3", 3000), ("0", 0), ("1.5", 1500), ("0.0001", 1), ("120", 120_000), ("-1", nil), ("x", nil),
        ("99999999999999", 365 * 24 * 3600 * 1000),
        ("Thu, 01 Jan 2026 00:00:30 GMT", 30_000),  // IMF-fixdate
        ("Thursday, 01-Jan-26 00:01:00 GMT", 60_000),  // RFC 850
        ("Thu Jan  1 00:00:05 2026", 5_000),  // asctime
        ("Wed, 31 Dec 2025 23:59:00 GMT", 0),  // in the past: retry now
        ("Fri, 02 Jan 2026 00:00:00 GMT", 86_400_000),
        ("Sun, 01 Mar 2026 00:00:00 GMT", 59 * 86_400_000),  // across February
        ("Thu, 01 Jan 2026 00:00:30 PST", nil), ("Thu, 01 Foo 2026 00:00:30 GMT", nil),
        ("Thu, 01 Jan 2026 25:00:00 GMT", nil),
        ("Thu, 1 Jan 2026", nil),
    ]

    @Test(arguments: secondsValues)
    func retryAfterHeader(_ value: String, _ expected: Int64?) {
        #expect(Self.retryAfter(["Retry-After": value]) == expected)
    }

    @Test func retryAfterMsWinsAndFallsBack() {
        #expect(Self.retryAfter(["retry-after-ms": "10", "retry-after": "5"]) == 10)
        #expect(Self.retryAfter(["retry-after-ms": "bad", "retry-after": "5"]) == 5000)
        #expect(Self.retryAfter([:]) == nil)
    }

    @Test func httpDatesAgreeWithTheEpoch() {
        #expect(Classifier.httpDateMillis("Thu, 01 Jan 1970 00:00:00 GMT") == 0)
        #expect(Classifier.httpDateMillis("Sun, 06 Nov 1994 08:49:37 GMT") == 784_111_777_000)
        #expect(Classifier.httpDateMillis("Sunday, 06-Nov-94 08:49:37 GMT") == 784_111_777_000)
        #expect(Classifier.httpDateMillis("Sun Nov  6 08:49:37 1994") == 784_111_777_000)
        #expect(Classifier.httpDateMillis("Tue, 29 Feb 2028 12:00:00 GMT") == 1_835_438_400_000)
    }

    static let verdicts: [(String, Bool?)] = [
        ("true", true), ("TRUE", true), (" false ", false), ("False", false), ("yes", nil), ("1", nil),
        ("", nil),
    ]

    @Test(arguments: verdicts)
    func shouldRetryHeader(_ value: String, _ expected: Bool?) {
        #expect(Classifier.shouldRetry(TranslatorTestSupport.headers(["x-should-retry": value])) == expected)
    }

    @Test func unreadableBodiesAreDescribedBriefly() {
        #expect(Classifier.describeUnreadableBody(status: 502, []) == "HTTP 502 with an empty body")
        #expect(Classifier.describeUnreadableBody(status: 502, Array(" \n\t ".utf8)) == "HTTP 502 with an empty body")
        #expect(
            Classifier.describeUnreadableBody(status: 500, Array("  Internal\n\n   Error \r\n".utf8))
                == "HTTP 500 with a body that is not the provider's JSON: Internal Error")
        let long = Classifier.describeUnreadableBody(status: 500, Array(String(repeating: "é", count: 1000).utf8))
        #expect(long.hasSuffix(String(repeating: "é", count: Classifier.snippetLimit) + "…"))
    }
}
