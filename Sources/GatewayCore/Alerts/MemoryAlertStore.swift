import Synchronization

/// The last `capacity` alerts of this process, for the embedded (no Redis) mode.
public final class MemoryAlertStore: AlertStore {
    private let alerts = Mutex<[Alert]>([])
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
}
