import ArgumentParser
import Foundation
import GatewayServer
import GatewayWire
import Logging
import ServiceLifecycle
import Synchronization

@main
struct AigwCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aigw",
        abstract: "aigw: the AI gateway your services call for completions, limits, usage, caching and queues.",
        version: AigwVersion.current,
        subcommands: [Serve.self, CheckConfig.self, FakeUpstreamCommand.self],
        defaultSubcommand: Serve.self
    )
}

/// Options shared by the commands that read configuration.
struct ConfigOptions: ParsableArguments {
    @Option(name: .long, help: "YAML configuration file.")
    var config: String?

    func load(overrides: [String: String] = [:]) throws -> ServerConfig {
        do {
            return try ConfigLoader.load(
                file: config, environment: ProcessInfo.processInfo.environment, overrides: overrides)
        } catch {
            throw ValidationError("configuration error: \(error)")
        }
    }
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server on a Unix socket and TCP until SIGTERM or SIGINT, then drain.")

    @OptionGroup var options: ConfigOptions

    @Option(name: .long, help: "Unix socket path (\"\" disables it). Default: $XDG_RUNTIME_DIR/aigw.sock or /tmp/aigw.sock.")
    var socket: String?

    @Option(name: .long, help: "TCP HOST:PORT (\"\" disables it). Default: 127.0.0.1:7400.")
    var tcp: String?

    @Option(name: .long, help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String?

    @Flag(name: .long, help: "Serve the aigw.v1.Debug methods (tests and load checks only).")
    var enableDebugMethods = false

    func run() async throws {
        var overrides: [String: String] = [:]
        overrides["server.socket"] = socket
        overrides["server.tcp"] = tcp
        overrides["logging.level"] = logLevel
        if enableDebugMethods { overrides["debug.methods"] = "true" }
        let config = try options.load(overrides: overrides)

        let level = config.logging.level
        let format = StructuredLogHandler.Format(rawValue: config.logging.format) ?? .text
        LoggingSystem.bootstrap { StructuredLogHandler(label: $0, level: level, format: format) }
        let logger = Logger(label: "aigw")

        if config.debugMethods {
            logger.warning("debug methods are enabled; do not run this in production")
        }
        // The server exists only after its init, which takes the callback: the callback reads it through this box.
        let serverBox = ServerBox()
        let server = try GatewayServer(config: config, logger: logger) { bound in
            var line = "aigw \(AigwVersion.current) listening: \(bound.map(\.description).joined(separator: " "))"
            if let metrics = serverBox.server.withLock({ $0 })?.metricsAddress { line += " metrics=\(metrics)" }
            print(line)
            fflush(nil)
        }
        serverBox.server.withLock { $0 = server }
        let group = ServiceGroup(
            configuration: .init(services: [server], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate configuration (file and environment); name the bad key and exit 1 if any.")

    @OptionGroup var options: ConfigOptions

    @Flag(name: .long, help: "Print the effective configuration, secrets redacted.")
    var print = false

    @Flag(name: .long, help: "List every key with its environment variable and meaning.")
    var keys = false

    func run() async throws {
        if keys {
            for key in ConfigLoader.keys {
                Swift.print("\(key.path)\t\(key.env.joined(separator: ","))\t\(key.help)")
            }
            return
        }
        let config: ServerConfig
        do {
            config = try ConfigLoader.load(file: options.config, environment: ProcessInfo.processInfo.environment)
        } catch {
            FileHandle.standardError.write(Data("aigw: invalid configuration: \(error)\n".utf8))
            throw ExitCode(1)
        }
        Swift.print("configuration OK\(options.config.map { " (\($0))" } ?? "")")
        if print { Swift.print(ConfigLoader.render(config), terminator: "") }
    }
}

/// Holds the server for its own listening callback, which runs after the server's init has returned.
private final class ServerBox: Sendable {
    let server = Mutex<GatewayServer?>(nil)
}
