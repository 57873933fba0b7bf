import GatewayCore
@testable import GatewayServer
import Logging
import Synchronization
import Testing

/// `RuntimeConfig` on the memory store: what may change at run time, whole-patch validation, the observers that
/// carry a change to the running parts, the history and rollback.
@Suite struct RuntimeConfigTests {
    final class Seen: Sendable {
        let configs = Mutex<[ServerConfig]>([])
        var last: ServerConfig? { configs.withLock { $0.last } }
        var count: Int { configs.withLock { $0.count } }
    }

    static func make(_ base: ServerConfig = ServerConfig()) -> (RuntimeConfig, Seen, ManualClock) {
        let seen = Seen()
        let clock = ManualClock(unixMillis: 1_764_500_000_000)
        let runtime = RuntimeConfig(
            base: base, store: MemoryConfigStore(), clock: clock, logger: Logger(label: "test"),
            observers: [{ config in seen.configs.withLock { $0.append(config) } }])
        return (runtime, seen, clock)
    }

    static func reason(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let error as GatewayError {
            return error.reason
        } catch {
            return "\(error)"
        }
    }

    @Test func limitsModelsAndProvidersChangeAndReachTheObservers() async throws {
        let (runtime, seen, _) = Self.make()
        let result = try await runtime.update(
            yamlPatch: """
                limits:
                  chat:
                    user: 3/1m burst=3
                models:
                  default: gpt-4o-mini
                  fallback:
                    gpt-4o: claude-3-5-haiku-20241022, gpt-4o-mini
                providers.anthropic.enabled: false
                retry.max_retries: 0
                """, expectedRevision: nil, dryRun: false, changedBy: "alice@ops")
        #expect(result.revision == 1)
        let config = try #require(seen.last)
        #expect(config.rateLimits.endpoints[.chat]?.user?.limit == 3)
        #expect(config.rateLimits.endpoints[.chat]?.org?.limit == 1_000, "keys not named keep their values")
        #expect(config.routing.defaultModel == "gpt-4o-mini")
        #expect(config.routing.catalog.fallbacks["gpt-4o"] == ["claude-3-5-haiku-20241022", "gpt-4o-mini"])
        #expect(config.routing.enabledProviders == [.openai])
        #expect(config.routing.retryPolicy.maxRetries == 0)
        #expect(result.yaml.contains("default: gpt-4o-mini"))
        #expect(result.yaml.contains("\"gpt-4o\": \"claude-3-5-haiku-20241022, gpt-4o-mini\""))

        // Removing a run-time value restores the configured one.
        _ = try await runtime.update(yamlPatch: "limits.chat.user: null", expectedRevision: 1, dryRun: false,
                                     changedBy: "alice@ops")
        #expect(seen.last?.rateLimits.endpoints[.chat]?.user?.limit == 10)
        #expect(seen.last?.routing.defaultModel == "gpt-4o-mini")
    }

    @Test func aBadPatchIsRefusedWholeNamingTheKey() async throws {
        let (runtime, seen, _) = Self.make()
        for (patch, reason) in [
            ("limits.chat.user: 5/1m\nlimits.search.org: lots", "invalid_config"),
            ("limits.chat.user: 5/1m\nserver.tcp: 0.0.0.0:1", "not_runtime_updatable"),
            ("models.default: no-such-model", "invalid_config"),
            ("models.fallback.gpt-4o: gpt-4o", "invalid_config"),
            ("providers.openai.enabled: maybe", "invalid_config"),
            ("retry.max_retries: 11", "invalid_config"),
            ("nonsense.key: 1", "invalid_config"),
            ("prices.new-model.input_per_1k: 0.001", "invalid_config"),
        ] {
            #expect(await Self.reason {
                _ = try await runtime.update(yamlPatch: patch, expectedRevision: nil, dryRun: false, changedBy: "x")
            } == reason, "\(patch)")
        }
        do {
            _ = try await runtime.update(yamlPatch: "limits.chat.user: 5/1m\nlimits.search.org: lots",
                                         expectedRevision: nil, dryRun: false, changedBy: "x")
        } catch let error as GatewayError {
            #expect(error.message.contains("limits.search.org"), "\(error)")
        }
        #expect(seen.count == 0, "nothing applied")
        #expect(runtime.render().revision == 0)
        #expect(try await runtime.history(limit: 10).isEmpty)
    }

    @Test func aDryRunShowsTheResultAndAppliesNothing() async throws {
        let (runtime, seen, _) = Self.make()
        let dry = try await runtime.update(yamlPatch: "models.default: gpt-4o", expectedRevision: nil, dryRun: true,
                                           changedBy: "x")
        #expect(dry.yaml.contains("default: gpt-4o"))
        #expect(seen.count == 0)
        #expect(!runtime.render().yaml.contains("default: gpt-4o\n"))
    }

    @Test func theHistoryRecordsWhoWhenAndWhatAndRollbackWalksBack() async throws {
        let (runtime, seen, clock) = Self.make()
        _ = try await runtime.update(yamlPatch: "limits.chat.user: 5/1m", expectedRevision: nil, dryRun: false,
                                     changedBy: "alice@ops")
        clock.advance(millis: 60_000)
        _ = try await runtime.update(yamlPatch: "limits.chat.user: 7/1m\nmodels.default: gpt-4o",
                                     expectedRevision: nil, dryRun: false, changedBy: "bob@ops")
        #expect(seen.last?.rateLimits.endpoints[.chat]?.user?.limit == 7)

        let history = try await runtime.history(limit: 10)
        #expect(history.map(\.changedBy) == ["bob@ops", "alice@ops"])
        #expect(history[0].changedAtMillis == 1_764_500_060_000)
        #expect(history[0].entries == [
            .init(key: "limits.chat.user", old: "5/1m", new: "7/1m"),
            .init(key: "models.default", old: nil, new: "gpt-4o"),
        ])

        let first = try await runtime.rollback(expectedRevision: nil, dryRun: false, changedBy: "carol@ops")
        #expect(first.undone.revision == 2)
        #expect(first.revision == 3)
        #expect(seen.last?.rateLimits.endpoints[.chat]?.user?.limit == 5)
        #expect(seen.last?.routing.defaultModel == nil)

        let second = try await runtime.rollback(expectedRevision: nil, dryRun: false, changedBy: "carol@ops")
        #expect(second.undone.revision == 1)
        #expect(seen.last?.rateLimits.endpoints[.chat]?.user?.limit == 10, "back to the configured limit")
        #expect(await Self.reason {
            _ = try await runtime.rollback(expectedRevision: nil, dryRun: false, changedBy: "carol@ops")
        } == "nothing_to_roll_back")

        let latest = try await runtime.history(limit: 2)
        #expect(latest.map(\.rollbackOf) == [1, 2])
        #expect(latest.map(\.changedBy) == ["carol@ops", "carol@ops"])
        #expect(await Self.reason {
            _ = try await runtime.rollback(expectedRevision: 1, dryRun: false, changedBy: "x")
        } == "nothing_to_roll_back")
    }

    @Test func aRollbackIsPinnedToTheRevisionItWasComputedAt() async throws {
        let (runtime, _, _) = Self.make()
        _ = try await runtime.update(yamlPatch: "limits.chat.user: 5/1m", expectedRevision: nil, dryRun: false,
                                     changedBy: "x")
        #expect(await Self.reason {
            _ = try await runtime.rollback(expectedRevision: 7, dryRun: false, changedBy: "x")
        } == "revision_mismatch")
        let dry = try await runtime.rollback(expectedRevision: 1, dryRun: true, changedBy: "x")
        #expect(dry.revision == 1)
        #expect(runtime.current.rateLimits.endpoints[.chat]?.user?.limit == 5)
    }

    @Test func cacheTTLsAndScopeChangeButTheCacheSwitchNeedsARestart() async throws {
        let (runtime, seen, _) = Self.make()
        _ = try await runtime.update(yamlPatch: "cache.ttl.chat: 90s\ncache.scope: user", expectedRevision: nil,
                                     dryRun: false, changedBy: "x")
        #expect(seen.last?.cache.settings.ttlMillis(for: .chat) == 90_000)
        #expect(seen.last?.cache.settings.ttlMillis(for: .search) == 3_600_000, "other operations keep theirs")
        #expect(seen.last?.cache.settings.scope == .user)
        #expect(await Self.reason {
            _ = try await runtime.update(yamlPatch: "cache.enabled: false", expectedRevision: nil, dryRun: false,
                                         changedBy: "x")
        } == "not_runtime_updatable")
    }
}
