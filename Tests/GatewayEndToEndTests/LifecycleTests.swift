import Foundation
import GatewayClient
import GatewayWire
import Testing

/// Start-up and shutdown: the socket file, stale sockets, and a graceful drain with calls in flight.
@Suite struct LifecycleTests {
    @Test func drainFinishesInFlightCallsThenExits() async throws {
        let server = try ServerProcess()
        let client = try await server.client()
        let sleep = sleepRequest(ms: 1_000)
        let calls = (0..<5).map { _ in Task { try await client.call(Aigw_V1_Debug.sleep, sleep) } }
        let probe = try await server.client()
        try await waitUntil { try await probe.call(Aigw_V1_Admin.serverInfo, .init()).inFlightCalls == 5 }
        kill(server.process.processIdentifier, SIGTERM)

        try await waitUntil { await client.isDraining }
        let refused = await #expect(throws: RPCError.self) { _ = try await client.call(Aigw_V1_Admin.health, .init()) }
        #expect(refused?.code == .unavailable)
        for call in calls {
            #expect(try await call.value.sleptMs >= 1_000)
        }
        #expect(server.waitForExit(timeout: 10) == 0)
        #expect(!FileManager.default.fileExists(atPath: server.socketPath))
        let reconnect = await #expect(throws: RPCError.self) { _ = try await server.client() }
        #expect(reconnect?.code == .unavailable)
    }

    @Test func drainGraceBoundsShutdown() async throws {
        let server = try ServerProcess(environment: ["AIGW_DRAIN_GRACE_SECONDS": "0.5"])
        let client = try await server.client()
        let sleep = sleepRequest(ms: 60_000)
        let call = Task { try await client.call(Aigw_V1_Debug.sleep, sleep) }
        try await waitUntil { try await client.call(Aigw_V1_Admin.serverInfo, .init()).inFlightCalls == 1 }
        let started = ContinuousClock.now
        kill(server.process.processIdentifier, SIGTERM)
        let error = await #expect(throws: RPCError.self) { _ = try await call.value }
        #expect(error?.code == .unavailable)
        #expect(server.waitForExit(timeout: 10) == 0)
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func socketFileHasMode0660() throws {
        let server = try ServerProcess()
        let attributes = try FileManager.default.attributesOfItem(atPath: server.socketPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o660)
        server.terminate()
    }

    @Test func staleSocketFileIsReplacedButALiveOneIsNot() throws {
        let first = try ServerProcess()
        // A second server on the same live socket must refuse to start.
        let second = Process()
        second.executableURL = URL(fileURLWithPath: ServerProcess.binary("aigw", env: "AIGW_BIN"))
        second.arguments = ["serve", "--socket", first.socketPath, "--tcp", ""]
        second.standardOutput = FileHandle.nullDevice
        second.standardError = FileHandle.nullDevice
        try second.run()
        second.waitUntilExit()
        #expect(second.terminationStatus != 0)

        // Kill the first without a chance to clean up: its socket file stays behind, stale.
        kill(first.process.processIdentifier, SIGKILL)
        _ = first.waitForExit(timeout: 5)
        #expect(FileManager.default.fileExists(atPath: first.socketPath))
        let third = try ServerProcess(socketPath: first.socketPath)
        #expect(third.terminate() == 0)
    }
}
