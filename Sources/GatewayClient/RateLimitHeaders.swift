import GatewayWire

/// Turns a CheckLimit answer into the HTTP headers a service returns to its own callers (docs/protocol.md, "Rate
/// limit headers"):
///
/// - `RateLimit-Limit`: the governing limit's allowance (`limit`);
/// - `RateLimit-Remaining`: units left in it (`remaining`);
/// - `RateLimit-Reset`: whole seconds, rounded up, until it is back to its full allowance (`reset_at_unix_ms`);
/// - `Retry-After`: whole seconds, rounded up and at least 1, before retrying; only on a denied answer.
public enum RateLimitHeaders {
    public static func headers(for answer: Aigw_V1_CheckLimitResponse, nowUnixMillis: Int64) -> [(String, String)] {
        var out = [
            ("RateLimit-Limit", String(answer.limit)),
            ("RateLimit-Remaining", String(answer.remaining)),
            ("RateLimit-Reset", String(ceilSeconds(max(0, answer.resetAtUnixMs - nowUnixMillis)))),
        ]
        if !answer.allowed {
            out.append(("Retry-After", String(max(1, ceilSeconds(Int64(clamping: answer.retryAfterMs))))))
        }
        return out
    }

    private static func ceilSeconds(_ millis: Int64) -> Int64 {
        (millis + 999) / 1000
    }
}
