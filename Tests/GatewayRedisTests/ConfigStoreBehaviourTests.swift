import Foundation
import GatewayCore
import GatewayRedis
import Testing

/// One behaviour suite for every `ConfigStore`: values and revision move together, each change is recorded in the
/// history with every key's previous value, a stale expected revision changes nothing, the history is capped, and on
/// Redis concurrent updates from two clients (two instances) never lose a change or a history entry.
@Suite struct ConfigStoreBehaviourTests {
    typealias Backend = UsageStoreBehaviourTests.Backend

    final class Harness: @unchecked Sendable {
        let stores: [any ConfigStore]
        var store: any ConfigStore { stores[0] }
        let clients: [RedisClient]
        private var keep: [AnyObject] = []

        init(_ backend: Backend) throws {
            switch backend {
            case .memory:
                stores = [MemoryConfigStore()]
                clients = []
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
                keep = clients + (server.map { [$0] } ?? [])
                let prefix = "aigw-test:config:\(UUID().uuidString.prefix(8)):"
                stores = clients.map { RedisConfigStore(client: $0, keyPrefix: prefix) }
            }
        }

        deinit {
            for client in clients { client.close() }
        }
    }

    static func author(_ who: String, at millis: Int64 = 1_764_500_000_000, rollbackOf: UInt64? = nil)
        -> ConfigChange.Author
    {
        ConfigChange.Author(changedBy: who, changedAtMillis: millis, rollbackOf: rollbackOf)
    }

    @Test(arguments: Backend.allCases)
    func changesAreRecordedWithTheirPreviousValues(_ backend: Backend) async throws {
        let h = try Harness(backend)
        #expect(try await h.store.revision() == 0)
        #expect(try await h.store.history(limit: 10).isEmpty)

        let first = try #require(try await h.store.update(
            ["limits.chat.user": "5/1m", "prices.m.input_per_1k": "0.001"], expectedRevision: nil,
            author: Self.author("alice@host")))
        #expect(first.revision == 1)
        #expect(first.values == ["limits.chat.user": "5/1m", "prices.m.input_per_1k": "0.001"])
        let second = try #require(try await h.store.update(
            ["limits.chat.user": "9/1m", "prices.m.input_per_1k": nil], expectedRevision: 1,
            author: Self.author("bob@host", at: 1_764_500_001_000, rollbackOf: 1)))
        #expect(second.revision == 2)
        #expect(second.values == ["limits.chat.user": "9/1m"])
        #expect(try await h.store.load() == second)

        let history = try await h.store.history(limit: 10)
        #expect(history.map(\.revision) == [2, 1])
        #expect(history[0].changedBy == "bob@host")
        #expect(history[0].changedAtMillis == 1_764_500_001_000)
        #expect(history[0].rollbackOf == 1)
        #expect(history[0].entries == [
            .init(key: "limits.chat.user", old: "5/1m", new: "9/1m"),
            .init(key: "prices.m.input_per_1k", old: "0.001", new: nil),
        ])
        #expect(history[1].entries == [
            .init(key: "limits.chat.user", old: nil, new: "5/1m"),
            .init(key: "prices.m.input_per_1k", old: nil, new: "0.001"),
        ])
        #expect(history[1].rollbackOf == nil)
        #expect(try await h.store.history(limit: 1).map(\.revision) == [2])
    }

    @Test(arguments: Backend.allCases)
    func aStaleRevisionChangesNothing(_ backend: Backend) async throws {
        let h = try Harness(backend)
        _ = try await h.store.update(["a.b": "1"], expectedRevision: nil, author: Self.author("x"))
        #expect(try await h.store.update(["a.b": "2"], expectedRevision: 0, author: Self.author("y")) == nil)
        #expect(try await h.store.load() == ConfigOverlay(revision: 1, values: ["a.b": "1"]))
        #expect(try await h.store.history(limit: 10).count == 1)
    }

    @Test(arguments: Backend.allCases)
    func theHistoryKeepsTheNewestChanges(_ backend: Backend) async throws {
        let h = try Harness(backend)
        let total = ConfigChange.historyLimit + 5
        for i in 1...total {
            _ = try await h.store.update(["k.v": String(i)], expectedRevision: nil, author: Self.author("x"))
        }
        let history = try await h.store.history(limit: 1_000)
        #expect(history.count == ConfigChange.historyLimit)
        #expect(history.first?.revision == UInt64(total))
        #expect(history.last?.revision == UInt64(total - ConfigChange.historyLimit + 1))
    }

    /// Two instances changing different keys at once: every change lands, the revision counts each once, and each
    /// history entry's old value is the value its change replaced.
    @Test(arguments: Backend.allCases)
    func concurrentChangesAreNeitherLostNorInterleaved(_ backend: Backend) async throws {
        let h = try Harness(backend)
        let perKey = 25
        await withTaskGroup(of: Void.self) { group in
            for (index, key) in ["x.a", "x.b"].enumerated() {
                let store = h.stores[index % h.stores.count]
                group.addTask {
                    for i in 1...perKey {
                        _ = try? await store.update([key: String(i)], expectedRevision: nil,
                                                    author: Self.author("instance-\(index)"))
                    }
                }
            }
        }
        let overlay = try await h.store.load()
        #expect(overlay.revision == UInt64(2 * perKey))
        #expect(overlay.values == ["x.a": String(perKey), "x.b": String(perKey)])
        let history = try await h.store.history(limit: 100)
        #expect(history.count == 2 * perKey)
        for key in ["x.a", "x.b"] {
            let moves = history.reversed().flatMap(\.entries).filter { $0.key == key }
            #expect(moves.map(\.new) == (1...perKey).map { String($0) })
            #expect(moves.map(\.old) == [nil] + (1..<perKey).map { String($0) })
        }
    }

    @Test func theRollbackTargetWalksBackThroughTheHistory() {
        func change(_ revision: UInt64, rollbackOf: UInt64? = nil) -> ConfigChange {
            ConfigChange(revision: revision, changedBy: "x", changedAtMillis: 0, entries: [], rollbackOf: rollbackOf)
        }
        #expect(ConfigChange.rollbackTarget(in: []) == nil)
        #expect(ConfigChange.rollbackTarget(in: [change(2), change(1)])?.revision == 2)
        #expect(ConfigChange.rollbackTarget(in: [change(3, rollbackOf: 2), change(2), change(1)])?.revision == 1)
        #expect(ConfigChange.rollbackTarget(in: [change(4, rollbackOf: 1), change(3, rollbackOf: 2), change(2),
                                                 change(1)]) == nil)
    }
}
