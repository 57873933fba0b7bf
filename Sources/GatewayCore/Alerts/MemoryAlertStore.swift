import Synchronization

/// The last `capacity` alerts of this process, for the embedded (no Redis) mode.
public final class MemoryAlertStore: AlertStore {
    private let alerts = Mutex<[Alert]>([])
    private let firing = Mutex<[String: ActiveAlert]>([:])
    private let capacity: Int

    public init(capacity: Int = 1_000) {
        precondition(capacity > 0)
        self.capacity = capacity
    }

    public func append(_ alert: Alert) async throws {
        alerts.withLock { alerts in
            alerts.append(alert)
            if alerts.count > capacity + capacity / 4 { alerts.removeFirst(alerts.count - capacity) }
        }
    }

    public func recent(limit: Int, sinceMillis: Int64) async throws -> [Alert] {
        alerts.withLock { alerts in
            Array(alerts.suffix(capacity).reversed().lazy.filter { $0.raisedAtMillis >= sinceMillis }.prefix(limit))
        }
    }

    public func setActive(_ alert: Alert, key: String, expiresAtMillis: Int64) async throws {
        firing.withLock { $0[key] = ActiveAlert(alert: alert, expiresAtMillis: expiresAtMillis) }
    }

    public func clearActive(key: String) async throws {
        firing.withLock { _ = $0.removeValue(forKey: key) }
    }

    public func active(nowMillis: Int64) async throws -> [Alert] {
        firing.withLock { firing in
            firing = firing.filter { $0.value.expiresAtMillis > nowMillis }
            return firing.values.map(\.alert).sorted { ($0.raisedAtMillis, $0.id) < ($1.raisedAtMillis, $1.id) }
        }
    }
}
