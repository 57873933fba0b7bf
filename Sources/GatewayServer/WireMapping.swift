import GatewayCore
import GatewayWire

/// The seam between wire messages and Core's domain types: every enum that crosses it is mapped here, once.
enum WireMapping {
    /// The inverse of `endpoint(_: Endpoint)`, so the two directions cannot disagree; nil for unspecified or unknown.
    static func endpoint(_ e: Aigw_V1_Endpoint) -> Endpoint? {
        Endpoint.allCases.first { endpoint($0) == e }
    }

    static func endpoint(_ e: Endpoint) -> Aigw_V1_Endpoint {
        switch e {
        case .summarize: .summarize
        case .search: .search
        case .chat: .chat
        case .embeddings: .embeddings
        case .translation: .translation
        }
    }

    static func level(_ l: LimitLevel) -> Aigw_V1_LimitLevel {
        switch l {
        case .user: .user
        case .org: .org
        case .endpoint: .endpoint
        }
    }

    static func algorithm(_ a: LimitAlgorithm) -> Aigw_V1_LimitAlgorithm {
        switch a {
        case .tokenBucket: .tokenBucket
        case .slidingWindow: .slidingWindow
        }
    }

    static func limitStatus(_ s: LimitStatus) -> Aigw_V1_LimitStatus {
        var out = Aigw_V1_LimitStatus()
        out.level = level(s.key.level)
        out.subject = s.key.subject
        out.endpoint = endpoint(s.key.endpoint)
        out.algorithm = algorithm(s.rule.algorithm)
        out.limit = s.rule.limit
        out.remaining = s.evaluation.remaining
        out.windowMs = UInt64(s.rule.windowMillis)
        out.burst = s.rule.burst
        out.resetAtUnixMs = s.evaluation.resetAt
        out.shadow = s.rule.shadow
        return out
    }
}
