import Foundation
import GatewayClient
import GatewayWire
import Synchronization
import Testing

/// Calls through the Swift client against a real aigw process.
@Suite struct CallTests {
    @Test func healthAndServerInfoOverUnixSocket() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let health = try await client.call(Aigw_V1_Admin.health, .init())
        #expect(health.status == .serving)
        #expect(health.components.map(\.name).contains("listener.unix"))
        let info = try await client.call(Aigw_V1_Admin.serverInfo, .init())
        #expect(info.version == AigwVersion.current)
        #expect(info.protocolVersion == 1)
        #expect(info.storeBackend == "memory")
        #expect(Set(info.listeners.map(\.transport)) == ["unix", "tcp"])
        #expect(info.listeners.contains { $0.address == "127.0.0.1:\(server.tcpPort)" })
        #expect(info.providers.map(\.provider) == [.openai, .anthropic])
        #expect(client.serverVersion == AigwVersion.current)
        try await client.ping()
        await client.close()
        #expect(server.terminate() == 0)
    }

    /// Every method of the contract is implemented now; the router's `not_implemented` answer for a contract method
    /// nothing registered is covered by MethodRouterTests.
    @Test func unknownMethods() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let unknown = await #expect(throws: RPCError.self) {
            _ = try await client.callRaw(path: "/aigw.v1.Gateway/Nope", payload: [])
        }
        #expect(unknown?.code == .unimplemented)
        #expect(unknown?.detail?.reason == "unknown_method")
        server.terminate()
    }

    @Test func malformedPayloadKeepsTheConnectionUsable() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.callRaw(path: Aigw_V1_Admin.health.path, payload: [0xFF, 0xFF, 0xFF])
        }
        #expect(error?.code == .invalidArgument)
        #expect(error?.detail?.reason == "malformed_payload")
        let health = try await client.call(Aigw_V1_Admin.health, .init())
        #expect(health.status == .serving)
        server.terminate()
    }

    @Test func thousandConcurrentCallsOnOneConnectionAndASlowCallBlocksNone() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let sleep = sleepRequest(ms: 6_000)
        let slowFinished = Flag()
        let slow = Task {
            let response = try await client.call(Aigw_V1_Debug.sleep, sleep)
            slowFinished.set()
            return response
        }
        let echoed = try await withThrowingTaskGroup(of: Bool.self) { group in
            for i in 0..<1000 {
                group.addTask {
                    var request = Aigw_V1_EchoRequest()
                    request.payload = Array("call \(i)".utf8)
                    let response = try await client.call(Aigw_V1_Debug.echo, request)
                    return response.payload == request.payload
                }
            }
            var ok = 0
            for try await matched in group where matched { ok += 1 }
            return ok
        }
        #expect(echoed == 1000)
        // All 1,000 were answered while the slow call on the same connection was still running.
        let finishedFirst = slowFinished.isSet
        #expect(!finishedFirst)
        #expect(try await slow.value.sleptMs >= 6_000)
        server.terminate()
    }

    @Test func streamingDeliversItemsInOrder() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        var request = Aigw_V1_TicksRequest()
        request.count = 5
        request.intervalMs = 10
        var indexes: [UInt32] = []
        for try await tick in client.stream(Aigw_V1_Debug.ticks, request) { indexes.append(tick.index) }
        #expect(indexes == [0, 1, 2, 3, 4])
        server.terminate()
    }

    @Test func cancellingACallCancelsTheHandler() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let sleep = sleepRequest(ms: 30_000)
        let call = Task { try await client.call(Aigw_V1_Debug.sleep, sleep) }
        try await waitUntil { try await client.call(Aigw_V1_Admin.serverInfo, .init()).inFlightCalls == 1 }
        call.cancel()
        await #expect(throws: CancellationError.self) { _ = try await call.value }
        // No handler remains in flight: the sleeping one was cancelled on the server (ServerInfo itself runs inline).
        try await waitUntil { try await client.call(Aigw_V1_Admin.serverInfo, .init()).inFlightCalls == 0 }
        server.terminate()
    }

    @Test func deadlineEndsTheCallAndItsWork() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let sleep = sleepRequest(ms: 30_000)
        let started = ContinuousClock.now
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(Aigw_V1_Debug.sleep, sleep, options: CallOptions(timeout: .milliseconds(200)))
        }
        #expect(error?.code == .deadlineExceeded)
        #expect(ContinuousClock.now - started < .seconds(2))
        try await waitUntil { try await client.call(Aigw_V1_Admin.serverInfo, .init()).inFlightCalls == 0 }
        server.terminate()
    }

    @Test func callsBeyondTheConnectionCapAreRefused() async throws {
        let server = try ServerProcess(environment: ["AIGW_MAX_CONCURRENT_CALLS": "4"])
        let client = try await server.client()
        let sleep = sleepRequest(ms: 2_000)
        let sleepers = (0..<4).map { _ in Task { try await client.call(Aigw_V1_Debug.sleep, sleep) } }
        let probe = try await server.client()
        try await waitUntil { try await probe.call(Aigw_V1_Admin.serverInfo, .init()).inFlightCalls == 4 }
        let error = await #expect(throws: RPCError.self) {
            _ = try await client.call(Aigw_V1_Admin.health, .init())
        }
        #expect(error?.code == .resourceExhausted)
        #expect(error?.detail?.reason == "too_many_calls")
        for sleeper in sleepers { _ = try await sleeper.value }
        #expect(try await client.call(Aigw_V1_Admin.health, .init()).status == .serving)
        server.terminate()
    }
}

/// Polls `condition` every 20 ms for up to `timeout`.
func waitUntil(timeout: Duration = .seconds(5), _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    throw TestFailure("condition not met within \(timeout)")
}

func sleepRequest(ms: UInt64) -> Aigw_V1_SleepRequest {
    var request = Aigw_V1_SleepRequest()
    request.durationMs = ms
    return request
}

/// A flag set from one task and read from another.
final class Flag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { value.load(ordering: .sequentiallyConsistent) }
}
