import GatewayCore

/// The classification rules both providers share: category by HTTP status, the retry hints in the response
/// headers, and readable messages for bodies that are not the provider's JSON (an HTML page from a proxy).
enum UpstreamErrorClassifier {
    /// The longest piece of a non-JSON body quoted in a message.
    static let snippetLimit = 200

    /// The category an HTTP status implies when the body says nothing more specific.
    static func category(forStatus status: Int) -> ProviderErrorCategory {
        switch status {
        case 400, 422: .invalidRequest
        case 401: .authentication
        case 403: .permission
        case 404: .notFound
        case 408: .timeout
        case 409: .serverError
        case 429: .rateLimited
        case 503, 529: .overloaded
        case 500..<600: .serverError
        case 400..<500: .invalidRequest
        default: .serverError
        }
    }

    /// How long the upstream asks us to wait: `retry-after-ms` (milliseconds, may be fractional) wins over
    /// `retry-after` (seconds, integer or fractional, or an HTTP-date measured against `nowMillis`). Values that are
    /// negative, not numbers, or dates in the past give nil or zero; fractions round up so we never retry early.
    static func retryAfterMillis(_ header: (String) -> String?, nowMillis: Int64) -> Int64? {
        if let text = header("retry-after-ms"), let millis = nonNegativeNumber(text) {
            return clampedMillis(millis.rounded(.up))
        }
        guard let text = header("retry-after") else { return nil }
        if let seconds = nonNegativeNumber(text) {
            return clampedMillis((seconds * 1000).rounded(.up))
        }
        guard let date = httpDateMillis(trimmed(text)) else { return nil }
        return max(0, date - nowMillis)
    }

    /// `x-should-retry: true|false`, the upstream's explicit verdict; anything else is nil.
    static func shouldRetry(_ header: (String) -> String?) -> Bool? {
        guard let text = header("x-should-retry") else { return nil }
        switch trimmed(text).lowercased() {
        case "true": return true
        case "false": return false
        default: return nil
        }
    }

    /// A message for a body that is not the provider's error JSON: the status and the start of the body with its
    /// whitespace collapsed.
    static func describeUnreadableBody(status: Int, _ body: [UInt8]) -> String {
        let text = String(decoding: body.prefix(snippetLimit * 4), as: UTF8.self)
        var snippet = ""
        var count = 0
        var pendingSpace = false
        for ch in text {
            if ch.isWhitespace {
                pendingSpace = !snippet.isEmpty
                continue
            }
            if pendingSpace {
                snippet.append(" ")
                count += 1
                pendingSpace = false
            }
            if count >= snippetLimit {
                snippet += "…"
                break
            }
            snippet.append(ch)
            count += 1
        }
        if snippet.isEmpty { return "HTTP \(status) with an empty body" }
        return "HTTP \(status) with a body that is not the provider's JSON: \(snippet)"
    }

    /// The upstream's message, else a stand-in, plus the request id when known (what support asks for).
    static func message(_ upstream: String?, status: Int?, requestID: String?) -> String {
        var text: String
        if let upstream, !upstream.isEmpty {
            text = upstream
        } else if let status {
            text = "HTTP \(status) without an error message"
        } else {
            text = "an error without a message"
        }
        if let requestID, !requestID.isEmpty { text += " (request id \(requestID))" }
        return text
    }

    // MARK: - Parsing

    private static func trimmed(_ text: String) -> Substring {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let first = text.firstIndex(where: { !isSpace($0) }), let last = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return text[first...last]
    }

    /// A finite, non-negative decimal number (digits with an optional fraction; no signs, exponents or hex).
    private static func nonNegativeNumber(_ text: String) -> Double? {
        let s = trimmed(text)
        guard !s.isEmpty, s.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == ".") }),
            s.filter({ $0 == "." }).count <= 1, s != "."
        else { return nil }
        guard let value = Double(s), value.isFinite else { return nil }
        return value
    }

    /// Waits longer than a year are nonsense; clamping keeps the conversion to Int64 safe.
    private static func clampedMillis(_ value: Double) -> Int64 {
        Int64(min(value, 365 * 24 * 3600 * 1000))
    }

    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    /// An HTTP-date in any of the three forms RFC 9110 says recipients must accept, in Unix milliseconds:
    /// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), RFC 850 (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime
    /// (`Sun Nov  6 08:49:37 1994`). The weekday is not checked.
    static func httpDateMillis(_ text: Substring) -> Int64? {
        let parts = text.split(separator: " ", omittingEmptySubsequences: true)
        var day: Int?
        var month: Int?
        var year: Int?
        var time: Substring?
        switch parts.count {
        case 6 where parts[0].hasSuffix(",") && parts[5] == "GMT":
            day = Int(parts[1])
            month = monthNumber(parts[2])
            year = Int(parts[3])
            time = parts[4]
        case 4 where parts[0].hasSuffix(",") && parts[3] == "GMT":
            let dmy = parts[1].split(separator: "-")
            guard dmy.count == 3, dmy[2].count == 2, let yy = Int(dmy[2]) else { return nil }
            day = Int(dmy[0])
            month = monthNumber(dmy[1])
            year = yy < 70 ? 2000 + yy : 1900 + yy
            time = parts[2]
        case 5:
            month = monthNumber(parts[1])
            day = Int(parts[2])
            time = parts[3]
            year = Int(parts[4])
        default:
            return nil
        }
        guard let day, let month, let year, let time, (1...31).contains(day), (1...9999).contains(year) else {
            return nil
        }
        let hms = time.split(separator: ":")
        guard hms.count == 3, hms.allSatisfy({ $0.count == 2 }), let h = Int(hms[0]), let m = Int(hms[1]),
            let s = Int(hms[2]), (0..<24).contains(h), (0..<60).contains(m), (0...60).contains(s)
        else { return nil }
        let days = daysFromCivil(year: year, month: month, day: day)
        return ((days * 24 + Int64(h)) * 60 + Int64(m)) * 60_000 + Int64(s) * 1000
    }

    private static func monthNumber(_ name: Substring) -> Int? {
        months.firstIndex(of: name.lowercased()).map { $0 + 1 }
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's `days_from_civil`).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = Int64(month > 2 ? month - 3 : month + 9)
        let doy = (153 * mp + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
