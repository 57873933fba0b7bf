/// Where every alert goes once raised: the store Admin lists, the log (through `onRaised`), and each notifier.
///
/// Notifiers run in their own task so a slow webhook never delays the request whose usage crossed a threshold;
/// deliveries still running when the process exits are lost (the alert stays in the store).
public final class AlertCenter: Sendable {
    private let store: any AlertStore
    private let notifiers: [any AlertNotifier]
    private let clock: any GatewayClock
    private let onRaised: @Sendable (Alert) -> Void
    private let onStoreError: @Sendable (Alert, any Error) -> Void

    public init(
        store: any AlertStore, notifiers: [any AlertNotifier] = [], clock: any GatewayClock,
        onRaised: @escaping @Sendable (Alert) -> Void = { _ in },
        onStoreError: @escaping @Sendable (Alert, any Error) -> Void = { _, _ in }
    ) {
        self.store = store
        self.notifiers = notifiers
        self.clock = clock
        self.onRaised = onRaised
        self.onStoreError = onStoreError
    }

    /// Stamps, stores, logs and sends `alert`. A store failure is reported, never thrown: the alert still goes to
    /// the log and the notifiers.
    @discardableResult
    public func raise(
        kind: String, severity: Alert.Severity, subject: String, message: String, details: [String: String] = [:]
    ) async -> Alert {
        let alert = Alert(
            id: "alr_" + RandomID.hex(bytes: 8), kind: kind, severity: severity, message: message, subject: subject,
            raisedAtMillis: clock.unixMillis(), details: details)
        do {
            try await store.append(alert)
        } catch {
            onStoreError(alert, error)
        }
        onRaised(alert)
        for notifier in notifiers {
            Task { await notifier.deliver(alert) }
        }
        return alert
    }

    public func recent(limit: Int, sinceMillis: Int64) async throws -> [Alert] {
        try await store.recent(limit: limit, sinceMillis: sinceMillis)
    }

    /// Marks a monitoring alert as firing (see `AlertStore.setActive`); a store failure is reported, not thrown.
    public func setActive(_ alert: Alert, key: String, expiresAtMillis: Int64) async {
        do {
            try await store.setActive(alert, key: key, expiresAtMillis: expiresAtMillis)
        } catch {
            onStoreError(alert, error)
        }
    }

    public func clearActive(key: String, resolved alert: Alert) async {
        do {
            try await store.clearActive(key: key)
        } catch {
            onStoreError(alert, error)
        }
    }

    public func active() async throws -> [Alert] {
        try await store.active(nowMillis: clock.unixMillis())
    }
}
