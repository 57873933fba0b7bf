import Foundation
import GatewayCore
import GatewayRedis
import Testing

/// One behaviour suite for every `AlertStore`: recent alerts newest first, and firing alerts set, replaced,
/// cleared and lapsing at their expiry; on Redis, what one instance sets another lists.
@Suite struct AlertStoreBehaviourTests {
    typealias Backend = UsageStoreBehaviourTests.Backend

    final class Harness: @unchecked Sendable {
        let stores: [any AlertStore]
        let clients: [RedisClient]
        private var keep: [AnyObject] = []

        init(_ backend: Backend) throws {
            switch backend {
            case .memory:
                stores = [MemoryAlertStore()]
                clients = []
            case .redis:
                let (configuration, server) = try RedisClientTests.sharedServer()
                clients = [RedisClient(configuration: configuration), RedisClient(configuration: configuration)]
                keep = clients + (server.map { [$0] } ?? [])
                let key = "aigw-test:alerts:\(UUID().uuidString.prefix(8))"
                stores = clients.map { RedisAlertStore(client: $0, key: key) }
            }
        }

        var writer: any AlertStore { stores[0] }
        var reader: any AlertStore { stores[stores.count - 1] }

        deinit {
            for client in clients { client.close() }
        }
    }

    static func alert(_ id: String, kind: String = "error_rate", at millis: Int64, value: String = "10") -> Alert {
        Alert(id: id, kind: kind, severity: .warning, message: "m", subject: "instance:i", raisedAtMillis: millis,
              details: ["value": value])
    }

    @Test(arguments: Backend.allCases)
    func recentAlertsAreNewestFirst(_ backend: Backend) async throws {
        let h = try Harness(backend)
        for i in 0..<5 { try await h.writer.append(Self.alert("a\(i)", at: Int64(i) * 1_000)) }
        #expect(try await h.reader.recent(limit: 3, sinceMillis: 0).map(\.id) == ["a4", "a3", "a2"])
        #expect(try await h.reader.recent(limit: 10, sinceMillis: 3_000).map(\.id) == ["a4", "a3"])
    }

    @Test(arguments: Backend.allCases)
    func firingAlertsAreSetReplacedClearedAndLapse(_ backend: Backend) async throws {
        let h = try Harness(backend)
        #expect(try await h.reader.active(nowMillis: 0).isEmpty)
        try await h.writer.setActive(Self.alert("x1", at: 100), key: "error_rate:i1", expiresAtMillis: 10_000)
        try await h.writer.setActive(Self.alert("q1", kind: "queue_length", at: 50), key: "queue_length:i1",
                                     expiresAtMillis: 5_000)
        try await h.writer.setActive(Self.alert("x1", at: 100, value: "12"), key: "error_rate:i1",
                                     expiresAtMillis: 10_000)
        let both = try await h.reader.active(nowMillis: 1_000)
        #expect(both.map(\.id) == ["q1", "x1"], "oldest first")
        #expect(both.last?.details["value"] == "12", "set again replaces")
        #expect(try await h.reader.active(nowMillis: 6_000).map(\.id) == ["x1"], "the queue entry lapsed")
        try await h.writer.clearActive(key: "error_rate:i1")
        #expect(try await h.reader.active(nowMillis: 6_000).isEmpty)
    }
}
