import Foundation
import GatewayCore

/// The recent alerts of every instance in one Redis list (newest first, JSON per entry), trimmed to `capacity`, and
/// the firing ones in a hash (`<key>:active`, field per condition and instance, JSON with its expiry), so Admin on
/// any instance lists what every instance has firing.
public final class RedisAlertStore: AlertStore {
    private let client: RedisClient
    private let key: String
    private let activeKey: String
    private let capacity: Int

    public init(client: RedisClient, key: String = "aigw:alerts", capacity: Int = 1_000) {
        precondition(capacity > 0)
        self.client = client
        self.key = key
        activeKey = key + ":active"
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

    public func setActive(_ alert: Alert, key: String, expiresAtMillis: Int64) async throws {
        let json = try JSONEncoder().encode(ActiveAlert(alert: alert, expiresAtMillis: expiresAtMillis))
        try await RedisError.mapped {
            try await client.send(bytes: [Array("HSET".utf8), Array(activeKey.utf8), Array(key.utf8), Array(json)])
        }
    }

    public func clearActive(key: String) async throws {
        try await RedisError.mapped { try await client.send(["HDEL", activeKey, key]) }
    }

    /// Entries past their expiry (their instance stopped refreshing them) are skipped and removed.
    public func active(nowMillis: Int64) async throws -> [Alert] {
        let reply = try await RedisError.mapped { try await client.send(["HGETALL", activeKey]) }
        guard let flat = reply.array, flat.count % 2 == 0 else { throw reply.unexpected("active alerts") }
        var alerts: [Alert] = []
        var lapsed: [String] = []
        for i in stride(from: 0, to: flat.count, by: 2) {
            guard let field = flat[i].string else { continue }
            guard case .bulk(let bytes) = flat[i + 1],
                let entry = try? JSONDecoder().decode(ActiveAlert.self, from: Data(bytes)),
                entry.expiresAtMillis > nowMillis
            else {
                lapsed.append(field)
                continue
            }
            alerts.append(entry.alert)
        }
        if !lapsed.isEmpty {
            _ = try? await client.send(["HDEL", activeKey] + lapsed)
        }
        return alerts.sorted { ($0.raisedAtMillis, $0.id) < ($1.raisedAtMillis, $1.id) }
    }
}
