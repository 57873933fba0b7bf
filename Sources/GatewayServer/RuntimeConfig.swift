import GatewayCore
import Logging
import Synchronization

/// The configuration as it is now: what aigw started with plus the changes made through Admin.UpdateConfig, which
/// are stored in the `ConfigStore` (Redis when configured) so every instance applies them.
///
/// Today the price table is what can change at run time (`prices.<model>.<field>`); a patch naming any other key is
/// refused whole, naming the key. Instances notice a change by polling the store's revision (`refresh`, every
/// 500 ms while Redis is configured), so it applies everywhere within a second.
final class RuntimeConfig: Sendable {
    let base: ServerConfig
    private let store: any ConfigStore
    private let prices: PriceBook
    private let logger: Logger
    private let applied = Mutex(ConfigOverlay())
    /// Bounds one change, and so what a mistaken script can store in Redis in one call.
    static let maxKeysPerPatch = 1_000

    init(base: ServerConfig, store: any ConfigStore, prices: PriceBook, logger: Logger) {
        self.base = base
        self.store = store
        self.prices = prices
        self.logger = logger
    }

    /// The effective configuration as YAML, secrets redacted, and the revision of the run-time changes in it.
    func render() -> (yaml: String, revision: UInt64) {
        var config = base
        config.prices = prices.current
        return (ConfigLoader.render(config), applied.withLock { $0.revision })
    }

    /// Loads and applies the stored changes when their revision moved.
    func refresh() async throws {
        let revision = try await store.revision()
        guard revision != applied.withLock({ $0.revision }) else { return }
        apply(try await store.load())
    }

    /// Validates `yamlPatch`, stores it (unless `dryRun`) and applies it here at once. A value of null or "" removes
    /// a run-time change, restoring the configured value.
    func update(yamlPatch: String, expectedRevision: UInt64?, dryRun: Bool) async throws -> (yaml: String, revision: UInt64) {
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
            guard key.hasPrefix(PriceConfig.prefix) else {
                let known = ConfigLoader.keys.contains { $0.path == key }
                throw GatewayError(
                    .invalidArgument,
                    known ? "\(key) cannot change at run time (today only prices.* can); change it in the "
                        + "configuration and restart" : "\(key): unknown key",
                    reason: known ? "not_runtime_updatable" : "invalid_config")
            }
            if value.isEmpty {
                changes[key] = .some(nil)
            } else {
                var scratch: PriceConfig.Overrides = [:]
                do {
                    try PriceConfig.apply(key: key, value: value, to: &scratch)
                } catch {
                    throw GatewayError(.invalidArgument, "\(key): \(error.message)", reason: "invalid_config")
                }
                changes[key] = value
            }
        }
        // Validated against the stored changes it joins; without `expectedRevision`, a change stored by another
        // instance in between is merged in by validating again (a few times at most).
        var stored: ConfigOverlay?
        for _ in 0..<3 where stored == nil {
            var proposed = try await store.load()
            if let expectedRevision, expectedRevision != proposed.revision {
                throw Self.revisionMismatch(expected: expectedRevision, current: proposed.revision)
            }
            for (key, value) in changes { proposed.values[key] = value }
            let table = try prices(for: proposed)
            if dryRun {
                var config = base
                config.prices = table
                return (ConfigLoader.render(config), proposed.revision)
            }
            stored = try await store.update(changes, expectedRevision: expectedRevision ?? proposed.revision)
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
        ])
        return render()
    }

    private func apply(_ overlay: ConfigOverlay) {
        do {
            prices.replace(with: try prices(for: overlay))
        } catch {
            logger.error("stored run-time configuration does not apply; keeping the previous prices",
                         metadata: ["revision": "\(overlay.revision)", "error": "\(error)"])
        }
        applied.withLock { $0 = overlay }
    }

    /// The configured prices with the overlay's price changes applied.
    private func prices(for overlay: ConfigOverlay) throws -> PriceTable {
        var overrides = base.priceOverrides
        for (key, value) in overlay.values where key.hasPrefix(PriceConfig.prefix) {
            do {
                try PriceConfig.apply(key: key, value: value, to: &overrides)
            } catch {
                throw GatewayError(.invalidArgument, "\(key): \(error.message)", reason: "invalid_config")
            }
        }
        do {
            return try PriceConfig.table(base: .productDefaults, overrides: overrides)
        } catch {
            throw GatewayError(.invalidArgument, "\(error.key): \(error.message)", reason: "invalid_config")
        }
    }

    private static func revisionMismatch(expected: UInt64, current: UInt64?) -> GatewayError {
        GatewayError(
            .failedPrecondition,
            "the configuration changed meanwhile (expected revision \(expected)"
                + (current.map { ", now \($0)" } ?? "") + "); read it again and retry",
            reason: "revision_mismatch")
    }
}
