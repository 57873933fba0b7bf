import GatewayCore

/// Why a Redis command failed.
public struct RedisError: Error, Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// No connection: refused, reset, timed out, or waiting out the reconnect backoff. Retrying later may work.
        case connection
        /// Redis answered with an error reply (`ERR ...`, `NOSCRIPT ...`, `WRONGTYPE ...`).
        case server
        /// The client was closed.
        case closed
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { "redis \(kind): \(message)" }

    /// How the rest of aigw sees it: an unavailable dependency, or a bug in what we sent.
    public var gatewayError: GatewayError {
        switch kind {
        case .connection, .closed: GatewayError(.unavailable, description, reason: "redis_unavailable", cause: self)
        case .server: GatewayError(.internalError, description, reason: "redis_error", cause: self)
        }
    }
}

extension RedisError {
    /// Runs a store's Redis calls, turning a `RedisError` into the `GatewayError` the rest of aigw sees.
    static func mapped<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as RedisError {
            throw error.gatewayError
        }
    }
}

extension RedisValue {
    /// A reply a store cannot read: a bug or a foreign value under aigw's keys, never the caller's fault.
    func unexpected(_ what: String) -> GatewayError {
        GatewayError(.internalError, "unexpected reply from Redis for \(what): \(self)", reason: "redis_error")
    }
}
