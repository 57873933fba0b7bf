import GatewayCore
import Logging
import Synchronization

/// The configuration as it is now: what aigw started with plus the changes made through Admin.UpdateConfig, which
/// are stored in the `ConfigStore` (Redis when configured) so every instance applies them.
///
/// What can change at run time is what a running gateway can take without dropping a connection: prices, rate
/// limits, default and fallback models, providers switched on or off, the retry policy, cache TTLs and scope, monitor
/// thresholds and the budget settings (see `isRuntimeUpdatable`). A patch naming any other key is refused whole, naming the key. Every change is validated by
/// building the whole effective configuration with the same code that loads the file, so a change is refused for
/// exactly the reasons a file would be. Instances notice a change by polling the store's revision (`refresh`, every
/// 500 ms while Redis is configured), so it applies everywhere within a second. Each change is kept in the store's
/// history (who, when, each key's old and new value) and can be rolled back.
final class RuntimeConfig: Sendable {
    let base: ServerConfig
    private let store: any ConfigStore
    private let clock: any GatewayClock
    private let logger: Logger
    private let applied: Mutex<(overlay: ConfigOverlay, config: ServerConfig)>
    /// Told the new effective configuration after each applied change, in order.
    private let observers: [@Sendable (ServerConfig) -> Void]
    /// Bounds one change, and so what a mistaken script can store in Redis in one call.
    static let maxKeysPerPatch = 1_000

    init(
        base: ServerConfig, store: any ConfigStore, clock: any GatewayClock, logger: Logger,
        observers: [@Sendable (ServerConfig) -> Void]
    ) {
        self.base = base
        self.store = store
        self.clock = clock
        self.logger = logger
        self.observers = observers
        applied = Mutex((ConfigOverlay(), base))
    }

    /// Keys whose change the running gateway applies at once.
    static func isRuntimeUpdatable(_ key: String) -> Bool {
        let prefixes = [PriceConfig.prefix, "limits.", "models.", "retry.", "cache.ttl."]
        let keys: Set<String> = [
            "cache.scope", "cache.max_entry_bytes",
            "monitor.queue_length", "monitor.error_rate_percent", "monitor.cache_hit_rate_percent",
            "monitor.window_seconds", "monitor.min_samples",
            "providers.openai.enabled", "providers.anthropic.enabled", "budgets.output_estimate_tokens",
            "budgets.reservation_lease_ms",
        ]
        return keys.contains(key) || prefixes.contains { key.hasPrefix($0) }
    }

    /// The effective configuration now.
    var current: ServerConfig { applied.withLock { $0.config } }

    /// The effective configuration as YAML, secrets redacted, and the revision of the run-time changes in it.
    func render() -> (yaml: String, revision: UInt64) {
        let (overlay, config) = applied.withLock { $0 }
        return (ConfigLoader.render(config), overlay.revision)
    }

    /// Loads and applies the stored changes when their revision moved.
    func refresh() async throws {
        let revision = try await store.revision()
        guard revision != applied.withLock({ $0.overlay.revision }) else { return }
        apply(try await store.load())
    }

    /// The stored changes, newest first.
    func history(limit: Int) async throws -> [ConfigChange] {
        try await store.history(limit: min(max(limit, 1), ConfigChange.historyLimit))
    }

    /// Validates `yamlPatch`, stores it (unless `dryRun`) and applies it here at once. A value of null or "" removes
    /// a run-time change, restoring the configured value.
    func update(yamlPatch: String, expectedRevision: UInt64?, dryRun: Bool, changedBy: String) async throws
        -> (yaml: String, revision: UInt64)
    {
        let pairs: [(String, String)]
        do {
            pairs = try ConfigLoader.flatten(yaml: yamlPatch, source: "yaml_patch")
        } catch {
            throw GatewayError(.invalidArgument, error.description, reason: "invalid_config")
        }
        guard !pairs.isEmpty else {
            throw GatewayError(.invalidArgument, "yaml_patch changes nothing", reason: "invalid_config")
        }
        guard pairs.count <= Self.maxKeysPerPatch else {
            throw GatewayError(.invalidArgument, "yaml_patch sets \(pairs.count) keys; at most \(Self.maxKeysPerPatch)",
                               reason: "invalid_config")
        }
        var changes: [String: String?] = [:]
        for (key, value) in pairs {
            guard Self.isRuntimeUpdatable(key) else {
                let known = ConfigLoader.keys.contains { $0.path == key }
                throw GatewayError(
                    .invalidArgument,
                    known ? "\(key) cannot change at run time (prices.*, limits.*, models.*, retry.*, cache.ttl.*, "
                        + "cache.scope, cache.max_entry_bytes, monitor thresholds, providers.*.enabled and budgets.* "
                        + "can); change it in the configuration and restart"
                        : "\(key): unknown key",
                    reason: known ? "not_runtime_updatable" : "invalid_config")
            }
            if value.isEmpty {
                changes[key] = .some(nil)
            } else {
                // Checked alone first, so the error names this key rather than whatever the whole build trips on.
                var scratch = base
                do {
                    try ConfigLoader.apply(key, value, to: &scratch, source: "yaml_patch")
                } catch {
                    throw GatewayError(.invalidArgument, "\(key): \(error.message)", reason: "invalid_config")
                }
                changes[key] = value
            }
        }
        return try await store(changes, expectedRevision: expectedRevision, dryRun: dryRun,
                               author: ConfigChange.Author(changedBy: changedBy, changedAtMillis: clock.unixMillis()))
    }

    /// Undoes the newest change that is not a rollback and was not rolled back yet (so rolling back twice undoes the
    /// two latest changes), as a new change recorded with `rollbackOf`.
    func rollback(expectedRevision: UInt64?, dryRun: Bool, changedBy: String) async throws
        -> (yaml: String, revision: UInt64, undone: ConfigChange)
    {
        let history = try await store.history(limit: ConfigChange.historyLimit)
        guard let target = ConfigChange.rollbackTarget(in: history) else {
            throw GatewayError(.failedPrecondition, "there is no run-time change to roll back",
                               reason: "nothing_to_roll_back")
        }
        var changes: [String: String?] = [:]
        for entry in target.entries { changes[entry.key] = .some(entry.old) }
        // Pinned to the revision the target was found at: a change landing meanwhile makes the caller look again.
        let (yaml, revision) = try await store(
            changes, expectedRevision: expectedRevision ?? history.first?.revision ?? 0, dryRun: dryRun,
            author: ConfigChange.Author(changedBy: changedBy, changedAtMillis: clock.unixMillis(),
                                        rollbackOf: target.revision))
        return (yaml, revision, target)
    }

    private func store(
        _ changes: [String: String?], expectedRevision: UInt64?, dryRun: Bool, author: ConfigChange.Author
    ) async throws -> (yaml: String, revision: UInt64) {
        // Validated against the stored changes it joins; without `expectedRevision`, a change stored by another
        // instance in between is merged in by validating again (a few times at most).
        var stored: ConfigOverlay?
        for _ in 0..<3 where stored == nil {
            var proposed = try await store.load()
            if let expectedRevision, expectedRevision != proposed.revision {
                throw Self.revisionMismatch(expected: expectedRevision, current: proposed.revision)
            }
            for (key, value) in changes { proposed.values[key] = value }
            let config = try effective(proposed)
            if dryRun { return (ConfigLoader.render(config), proposed.revision) }
            stored = try await store.update(
                changes, expectedRevision: expectedRevision ?? proposed.revision, author: author)
            if stored == nil, let expectedRevision {
                throw Self.revisionMismatch(expected: expectedRevision, current: nil)
            }
        }
        guard let stored else {
            throw GatewayError(.unavailable, "the configuration kept changing meanwhile; retry", reason: "config_busy")
        }
        apply(stored)
        logger.notice("configuration changed at run time", metadata: [
            "revision": "\(stored.revision)", "keys": "\(changes.keys.sorted().joined(separator: ","))",
            "changed_by": "\(author.changedBy)",
        ])
        return render()
    }

    private func apply(_ overlay: ConfigOverlay) {
        let config: ServerConfig
        do {
            config = try effective(overlay)
        } catch {
            // A stored change can stop applying when the configuration it was made on top of changes at a restart.
            logger.error("stored run-time configuration does not apply; keeping the previous configuration",
                         metadata: ["revision": "\(overlay.revision)", "error": "\(error)"])
            applied.withLock { $0.overlay.revision = overlay.revision }
            return
        }
        applied.withLock { $0 = (overlay, config) }
        for observer in observers { observer(config) }
    }

    /// The configuration aigw started with and the overlay's changes applied, in key order, exactly as loading a
    /// file would apply them.
    func effective(_ overlay: ConfigOverlay) throws -> ServerConfig {
        var config = base
        for (key, value) in overlay.values.sorted(by: { $0.key < $1.key }) {
            do {
                try ConfigLoader.apply(key, value, to: &config, source: "run-time change")
            } catch {
                throw GatewayError(.invalidArgument, "\(key): \(error.message)", reason: "invalid_config")
            }
        }
        do {
            config.prices = try PriceConfig.table(base: .productDefaults, overrides: config.priceOverrides)
        } catch {
            throw GatewayError(.invalidArgument, "\(error.key): \(error.message)", reason: "invalid_config")
        }
        return config
    }

    private static func revisionMismatch(expected: UInt64, current: UInt64?) -> GatewayError {
        GatewayError(
            .failedPrecondition,
            "the configuration changed meanwhile (expected revision \(expected)"
                + (current.map { ", now \($0)" } ?? "") + "); read it again and retry",
            reason: "revision_mismatch")
    }
}
