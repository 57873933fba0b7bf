import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

@main
struct AigwctlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "aigwctl",
        abstract: "Administer a running aigw.",
        version: AigwVersion.current,
        subcommands: [
            Health.self, Info.self, Limits.self, Complete.self, Stream.self, Usage.self, Costs.self, TopUsers.self,
            Budgets.self, Alerts.self, Config.self, Top.self, Models.self, Cache.self, Enqueue.self, Job.self,
            Queue.self, DeadLetters.self,
        ]
    )

    /// Connection options may come before the subcommand too (`aigwctl --socket PATH health`).
    @OptionGroup var connection: ConnectionOptions
}

/// How to reach the server, shared by every subcommand.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "Unix socket path. Default: $AIGW_SOCKET, else $XDG_RUNTIME_DIR/aigw.sock or /tmp/aigw.sock.")
    var socket: String?

    @Option(name: .long, help: "Connect over TCP to HOST:PORT instead of the Unix socket.")
    var tcp: String?

    @Option(name: .long, help: "Admin token. Default: $AIGW_ADMIN_TOKEN.")
    var token: String?

    @Option(name: .long, help: "Seconds to wait for the server.")
    var timeout: Double = 10

    @Flag(name: .long, help: "Print JSON instead of a table.")
    var json = false

    func validate() throws {
        if socket != nil && tcp != nil { throw ValidationError("use either --socket or --tcp, not both") }
        if let tcp, GatewayTarget(parsing: tcp) == nil { throw ValidationError("--tcp expects HOST:PORT, got '\(tcp)'") }
    }

    var target: GatewayTarget {
        if let tcp, let target = GatewayTarget(parsing: tcp) { return target }
        let env = ProcessInfo.processInfo.environment
        if let socket { return .unix(path: socket) }
        if let path = env["AIGW_SOCKET"], !path.isEmpty { return .unix(path: path) }
        if let dir = env["XDG_RUNTIME_DIR"], !dir.isEmpty { return .unix(path: dir + "/aigw.sock") }
        return .unix(path: "/tmp/aigw.sock")
    }

    /// Connects, runs `body`, closes; any RPC failure becomes a message on stderr and exit code 1.
    func withClient<T>(_ body: (GatewayClient, CallOptions) async throws -> T) async throws -> T {
        let token = self.token ?? ProcessInfo.processInfo.environment["AIGW_ADMIN_TOKEN"]
        do {
            let client = try await GatewayClient.connect(
                to: target, token: token, clientName: "aigwctl/\(AigwVersion.current)",
                connectTimeout: .milliseconds(Int64(timeout * 1000)))
            defer { Task { await client.close() } }
            return try await body(client, CallOptions(timeout: .milliseconds(Int64(timeout * 1000))))
        } catch let error as RPCError {
            FileHandle.standardError.write(Data("aigwctl: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    func printJSON(_ value: some Encodable) throws {
        print(try ProtoJSON.encode(value))
    }
}

struct Health: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show whether the server is serving. Exits 0 only when it is.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let health = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.health, Aigw_V1_HealthRequest(), options: options)
        }
        if connection.json {
            try connection.printJSON(health)
        } else {
            print("status: \(shortName(health.status.protoName, "SERVING_STATUS_").uppercased())")
            var table = TextTable(header: ["COMPONENT", "HEALTHY", "DETAIL"])
            table.rows = health.components.map { [$0.name, $0.healthy ? "yes" : "no", $0.detail] }
            print(table.render())
        }
        if health.status != .serving { throw ExitCode(2) }
    }
}

struct Info: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the server's version, uptime, listeners, store backend and providers (never secrets).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let info = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.serverInfo, Aigw_V1_ServerInfoRequest(), options: options)
        }
        if connection.json {
            try connection.printJSON(info)
            return
        }
        var table = TextTable()
        table.rows = [
            ["version", info.version],
            ["protocol", String(info.protocolVersion)],
            ["instance", info.instanceId],
            ["uptime", Self.duration(ms: info.uptimeMs)],
            ["store", info.storeBackend],
            ["connections", String(info.openConnections)],
            ["in-flight calls", String(info.inFlightCalls)],
            ["max frame bytes", String(info.maxFrameBytes)],
            ["max calls/conn", String(info.maxConcurrentCalls)],
        ]
        table.rows += info.listeners.map { ["listener", "\($0.transport) \($0.address)"] }
        table.rows += info.providers.map {
            ["provider", "\(shortName($0.provider.protoName, "PROVIDER_")) "
                + "\($0.enabled ? "enabled" : "disabled") \($0.baseUrl)"]
        }
        print(table.render())
    }

    static func duration(ms: UInt64) -> String {
        let s = ms / 1000
        return s >= 3600 ? "\(s / 3600)h\(s % 3600 / 60)m" : s >= 60 ? "\(s / 60)m\(s % 60)s" : "\(s).\(ms % 1000 / 100)s"
    }
}

struct Limits: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show or reset rate limits.", subcommands: [Get.self, Reset.self], defaultSubcommand: Get.self)

    /// Endpoint names as the CLI takes them.
    static func endpoint(_ name: String?) throws -> Aigw_V1_Endpoint {
        guard let name else { return .unspecified }
        guard let e = Aigw_V1_Endpoint(protoName: "ENDPOINT_" + name.uppercased()), e != .unspecified else {
            throw ValidationError("unknown endpoint '\(name)': use summarize, search, chat, embeddings or translation")
        }
        return e
    }


    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the limits that apply to a user and/or org, per endpoint, without consuming.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "User id.") var user: String?
        @Option(help: "Org id.") var org: String?
        @Option(help: "Endpoint (default: all).") var endpoint: String?

        func run() async throws {
            var request = Aigw_V1_GetLimitsRequest()
            request.userId = user ?? ""
            request.orgId = org ?? ""
            request.endpoint = try Limits.endpoint(endpoint)
            let response = try await connection.withClient { client, options in
                try await client.call(Aigw_V1_Admin.getLimits, request, options: options)
            }
            if connection.json {
                try connection.printJSON(response)
                return
            }
            var table = TextTable(header: ["ENDPOINT", "LEVEL", "SUBJECT", "ALGORITHM", "LIMIT", "WINDOW", "REMAINING",
                                           "SHADOW"])
            table.rows = response.limits.map {
                [shortName($0.endpoint.protoName, "ENDPOINT_"), shortName($0.level.protoName, "LIMIT_LEVEL_"),
                 $0.subject, shortName($0.algorithm.protoName, "LIMIT_ALGORITHM_"), String($0.limit),
                 "\($0.windowMs / 1000)s", String($0.remaining), $0.shadow ? "yes" : "no"]
            }
            print(table.render())
        }
    }

    struct Reset: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Reset an endpoint's limits: a user's, an org's, or (with neither) everyone's.")

        @OptionGroup var connection: ConnectionOptions
        @Option(help: "Endpoint (required).") var endpoint: String
        @Option(help: "User id.") var user: String?
        @Option(help: "Org id.") var org: String?

        func run() async throws {
            var request = Aigw_V1_ResetLimitsRequest()
            request.endpoint = try Limits.endpoint(endpoint)
            request.userId = user ?? ""
            request.orgId = org ?? ""
            let response = try await connection.withClient { client, options in
                try await client.call(Aigw_V1_Admin.resetLimits, request, options: options)
            }
            if connection.json {
                try connection.printJSON(response)
            } else {
                print("reset \(response.resetCount) counter(s)")
            }
        }
    }
}

/// An enum value's proto name without its type prefix, lower-cased: "ENDPOINT_CHAT" -> "chat".
func shortName(_ protoName: String, _ prefix: String) -> String {
    protoName.hasPrefix(prefix) ? String(protoName.dropFirst(prefix.count)).lowercased() : protoName
}
