import Foundation
import GatewayClient
import Testing

/// A real `aigw serve` process on a private socket and an ephemeral TCP port, for end-to-end tests.
final class ServerProcess: @unchecked Sendable {
    let process = Process()
    let socketPath: String
    let tcpPort: Int
    /// "127.0.0.1:PORT" of the Prometheus endpoint, when the server serves one.
    let metricsAddress: String?
    let directory: URL
    let stderrPath: URL
    /// What the caller added to the environment, so a test can start a twin.
    let environment: [String: String]

    static var repoRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static func binary(_ name: String, env variable: String) -> String {
        if let path = ProcessInfo.processInfo.environment[variable], !path.isEmpty { return path }
        return repoRoot.appendingPathComponent(".build/debug/\(name)").path
    }

    /// Starts the server and waits for its "listening" line. `environment` adds to a minimal environment.
    init(environment: [String: String] = [:], arguments: [String] = [], socketPath: String? = nil) throws {
        self.environment = environment
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-e2e-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        self.socketPath = socketPath ?? directory.appendingPathComponent("aigw.sock").path
        stderrPath = directory.appendingPathComponent("stderr.log")
        FileManager.default.createFile(atPath: stderrPath.path, contents: nil)

        let binary = Self.binary("aigw", env: "AIGW_BIN")
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure("aigw binary not found at \(binary); run `swift build` first or set AIGW_BIN")
        }
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--socket", self.socketPath, "--tcp", "127.0.0.1:0", "--enable-debug-methods"]
            + arguments
        // An ephemeral metrics port: the default 9464 would collide between servers started side by side.
        var env = [
            "PATH": "/usr/bin:/bin", "AIGW_LOG_LEVEL": "info", "HOME": directory.path,
            "AIGW_METRICS_LISTEN": "127.0.0.1:0",
        ]
        env.merge(environment) { _, new in new }
        process.environment = env
        let stdout = Pipe()
        process.standardOutput = stdout
        process.standardError = try FileHandle(forWritingTo: stderrPath)
        try process.run()

        // The first stdout line announces the listeners: "aigw 0.1.0 listening: unix=… tcp=127.0.0.1:PORT".
        let line = Self.readLine(stdout.fileHandleForReading, timeout: 20)
        guard let line, let range = line.range(of: "tcp=127.0.0.1:") else {
            process.terminate()
            let log = (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? ""
            throw TestFailure("aigw did not start: stdout=\(line ?? "<none>") stderr=\(log)")
        }
        tcpPort = Int(line[range.upperBound...].prefix { $0.isNumber }) ?? 0
        metricsAddress = line.range(of: " metrics=").map { String(line[$0.upperBound...].prefix { $0 != " " }) }
    }

    var unix: GatewayTarget { .unix(path: socketPath) }
    var tcp: GatewayTarget { .tcp(host: "127.0.0.1", port: tcpPort) }

    func client(_ target: GatewayTarget? = nil, token: String? = nil) async throws -> GatewayClient {
        try await GatewayClient.connect(to: target ?? unix, token: token)
    }

    var stderr: String { (try? String(contentsOf: stderrPath, encoding: .utf8)) ?? "" }

    /// Sends SIGTERM and waits for the exit status.
    @discardableResult
    func terminate(timeout: Double = 20) -> Int32? {
        if process.isRunning { kill(process.processIdentifier, SIGTERM) }
        return waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Double) -> Int32? {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            return nil
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: directory)
    }

    private static func readLine(_ handle: FileHandle, timeout: Double) -> String? {
        let fd = handle.fileDescriptor
        var bytes: [UInt8] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            var pfd = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&pfd, 1, 100) > 0 else { continue }
            var byte: UInt8 = 0
            guard read(fd, &byte, 1) == 1 else { return nil }
            if byte == UInt8(ascii: "\n") { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(byte)
        }
        return nil
    }
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
