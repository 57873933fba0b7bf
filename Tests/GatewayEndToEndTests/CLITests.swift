import Foundation
import Testing

/// `aigwctl` and `aigw check-config` as a user runs them.
@Suite struct CLITests {
    private func run(_ binary: String, _ arguments: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        try CLI.run(binary, arguments)
    }

    private var aigwctl: String { ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN") }
    private var aigw: String { ServerProcess.binary("aigw", env: "AIGW_BIN") }

    @Test func healthAndInfoAsTablesAndJSON() throws {
        let server = try ServerProcess()
        let health = try run(aigwctl, ["health", "--socket", server.socketPath])
        #expect(health.status == 0)
        #expect(health.stdout.contains("status: SERVING"))
        #expect(health.stdout.contains("listener.unix"))

        let info = try run(aigwctl, ["info", "--socket", server.socketPath, "--json"])
        #expect(info.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(info.stdout.utf8)) as? [String: Any])
        #expect(object["version"] as? String == "0.1.0")
        #expect(object["storeBackend"] as? String == "memory")

        let table = try run(aigwctl, ["info", "--socket", server.socketPath])
        #expect(table.stdout.contains("store            memory"))

        // The form: connection options before the subcommand.
        let before = try run(aigwctl, ["--socket", server.socketPath, "--json", "health"])
        #expect(before.status == 0)
        #expect(before.stdout.contains("SERVING_STATUS_SERVING"))
        server.terminate()
    }

    /// Every command explains itself and offers JSON; a bad option is a usage error (64), which scripts can tell
    /// from a failed call (1).
    @Test func everyCommandHasHelpJSONAndUsageErrors() throws {
        let ctl = ServerProcess.binary("aigwctl", env: "AIGWCTL_BIN")
        let commands = [
            ["health"], ["info"], ["limits", "get"], ["limits", "reset"], ["complete"], ["stream"], ["usage"], ["costs"],
            ["top-users"], ["budgets", "list"], ["budgets", "create"], ["budgets", "update"], ["budgets", "delete"],
            ["alerts"], ["config", "get"], ["config", "set"], ["config", "history"], ["config", "rollback"], ["top"],
            ["models"], ["cache", "stats"], ["cache", "flush"], ["enqueue"], ["job"], ["queue", "stats"],
            ["dlq", "list"], ["dlq", "retry"], ["dlq", "purge"],
        ]
        for command in commands {
            let help = try CLI.run(ctl, command + ["--help"])
            #expect(help.status == 0, "\(command) --help: \(help.stderr)")
            #expect(help.stdout.contains("--json"), "\(command) --help does not offer --json")
            let bad = try CLI.run(ctl, command + ["--no-such-option"])
            #expect(bad.status == 64, "\(command) with a bad option exited \(bad.status)")
        }
    }

    @Test func failuresExitNonZeroWithAMessage() throws {
        let missing = try run(aigwctl, ["health", "--socket", "/nonexistent/aigw.sock"])
        #expect(missing.status == 1)
        #expect(missing.stderr.contains("UNAVAILABLE"))

        let server = try ServerProcess()
        let denied = try run(aigwctl, ["info", "--tcp", "127.0.0.1:\(server.tcpPort)"])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("PERMISSION_DENIED"))
        server.terminate()
    }

    @Test func checkConfigNamesTheBadKey() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let bad = dir.appendingPathComponent("bad.yaml")
        try "server:\n  max_frame_bytes: lots\n".write(to: bad, atomically: true, encoding: .utf8)
        let result = try run(aigw, ["check-config", "--config", bad.path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("server.max_frame_bytes"))

        let good = dir.appendingPathComponent("good.yaml")
        try "server:\n  tcp: 127.0.0.1:9999\n  admin_token: hunter2\n".write(to: good, atomically: true, encoding: .utf8)
        let ok = try run(aigw, ["check-config", "--config", good.path, "--print"])
        #expect(ok.status == 0)
        #expect(ok.stdout.contains("tcp: 127.0.0.1:9999"))
        #expect(!ok.stdout.contains("hunter2"))
        #expect(ok.stdout.contains("admin_token: <redacted>"))
    }
}

/// Runs a command-line tool to completion and captures its output.
enum CLI {
    static func run(_ binary: String, _ arguments: [String], environment: [String: String] = [:]) throws
        -> (status: Int32, stdout: String, stderr: String)
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.environment = ["PATH": "/usr/bin:/bin"].merging(environment) { _, new in new }
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }
}
