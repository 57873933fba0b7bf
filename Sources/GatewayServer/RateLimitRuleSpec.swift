import GatewayCore

/// The configuration syntax of one limit: `COUNT/WINDOW [sliding_window|token_bucket] [burst=N] [shadow]
/// [fail_closed]`, or `off`.
///
/// Examples: `10/1m`, `500/1h sliding_window`, `20/1m burst=40`, `1000/1h shadow`. Windows take `ms`, `s`, `m`, `h`
/// or `d`; a bare unit means one of it (`10/m`).
enum RateLimitRuleSpec {
    struct ParseError: Error {
        var message: String
    }

    static func parse(_ text: String) throws -> RateLimitRule? {
        let words = text.split(separator: " ").map(String.init)
        guard let first = words.first else { throw ParseError(message: "expected COUNT/WINDOW or off") }
        if first == "off" && words.count == 1 { return nil }
        let parts = first.split(separator: "/", maxSplits: 1).map(String.init)
        guard parts.count == 2, let count = UInt64(parts[0]), count > 0 else {
            throw ParseError(message: "expected COUNT/WINDOW such as 10/1m, got '\(first)'")
        }
        let window = try windowMillis(parts[1])
        var algorithm = LimitAlgorithm.tokenBucket
        var burst: UInt64?
        var shadow = false
        var failClosed = false
        for word in words.dropFirst() {
            if let a = LimitAlgorithm(rawValue: word) {
                algorithm = a
            } else if word == "shadow" {
                shadow = true
            } else if word == "fail_closed" {
                failClosed = true
            } else if word == "fail_open" {
                failClosed = false
            } else if word.hasPrefix("burst="), let n = UInt64(word.dropFirst(6)), n >= count {
                burst = n
            } else {
                throw ParseError(message: "unknown option '\(word)' (token_bucket, sliding_window, burst=N >= COUNT, shadow, fail_closed)")
            }
        }
        return RateLimitRule(algorithm, limit: count, windowMillis: window, burst: burst, shadow: shadow,
                             failClosed: failClosed)
    }

    static func render(_ rule: RateLimitRule?) -> String {
        guard let rule else { return "off" }
        var words = ["\(rule.limit)/\(windowText(rule.windowMillis))", rule.algorithm.rawValue]
        if rule.burst != rule.limit { words.append("burst=\(rule.burst)") }
        if rule.shadow { words.append("shadow") }
        if rule.failClosed { words.append("fail_closed") }
        return words.joined(separator: " ")
    }

    private static let units: [(String, Int64)] = [("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
                                                   ("d", 86_400_000)]

    private static func windowMillis(_ text: String) throws -> Int64 {
        for (suffix, millis) in units where text.hasSuffix(suffix) {
            let number = text.dropLast(suffix.count)
            if number.isEmpty { return millis }
            if let n = Int64(number), n > 0, n <= 366 * 86_400_000 / millis { return n * millis }
            break
        }
        throw ParseError(message: "expected a window such as 30s, 1m, 1h or 1d, got '\(text)'")
    }

    private static func windowText(_ millis: Int64) -> String {
        for (suffix, unit) in units.reversed() where millis % unit == 0 { return "\(millis / unit)\(suffix)" }
        return "\(millis)ms"
    }
}
