import Foundation
import GatewayCore

/// The recent alerts of every instance in one Redis list (newest first, JSON per entry), trimmed to `capacity`.
public final class RedisAlertStore: AlertStore {
    private let client: RedisClient
    private let key: String
    private let capacity: Int

    public init(client: RedisClient, key: String = "aigw:alerts", capacity: Int = 1_000) {
        precondition(capacity > 0)
        self.client = client
        self.key = key
        self.capacity = capacity
    }

    public func append(_ alert: Alert) async throws {
        let json = try JSONEncoder().encode(alert)
        try await RedisError.mapped {
            // Both commands go out together on the pipelined connection.
            async let push = client.send(bytes: [Array("LPUSH".utf8), Array(key.utf8), Array(json)])
            async let trim = client.send(["LTRIM", key, "0", String(capacity - 1)])
            _ = try await (push, trim)
        }
    }

    public func recent(limit: Int, sinceMillis: Int64) async throws -> [Alert] {
        guard limit > 0 else { return [] }
        let reply = try await RedisError.mapped { try await client.send(["LRANGE", key, "0", String(capacity - 1)]) }
        guard let entries = reply.array else { throw reply.unexpected("alerts") }
        var alerts: [Alert] = []
        for entry in entries {
            guard case .bulk(let bytes) = entry, let alert = try? JSONDecoder().decode(Alert.self, from: Data(bytes))
            else { continue }
            guard alert.raisedAtMillis >= sinceMillis else { break }
            alerts.append(alert)
            if alerts.count == limit { break }
        }
        return alerts
    }
}
