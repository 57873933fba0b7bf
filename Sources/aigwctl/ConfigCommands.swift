import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the effective configuration, or change it at run time on every instance.",
        subcommands: [ConfigGet.self, ConfigSet.self, ConfigHistory.self, ConfigRollback.self],
        defaultSubcommand: ConfigGet.self)

    /// What the server's history records as the author: user@host.
    static var author: String {
        let env = ProcessInfo.processInfo.environment
        let user = env["USER"] ?? env["LOGNAME"] ?? "unknown"
        return "\(user)@\(ProcessInfo.processInfo.hostName)"
    }
}

struct ConfigGet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "get", abstract: "Print the effective configuration as YAML (secrets redacted).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getConfig, Aigw_V1_GetConfigRequest(), options: options)
        }
        if connection.json {
            try connection.printJSON(response)
        } else {
            print("# revision \(response.revision)")
            print(response.yaml, terminator: "")
        }
    }
}

struct ConfigSet: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "set",
        abstract: "Change settings at run time on every instance: KEY=VALUE pairs or a YAML file.",
        discussion: """
            Run-time keys: prices.<model>.<field>, limits.<endpoint>.<level>, models.default,
            models.fallback.<model>, providers.<name>.enabled, retry.*, budgets.output_estimate_tokens and
            budgets.reservation_lease_ms. A change is refused whole, naming the bad key.
            Examples:
              aigwctl config set prices.gpt-4o-mini.output_per_1k=0.0012
              aigwctl config set limits.chat.user="20/1m burst=5" providers.anthropic.enabled=false
              aigwctl config set --file changes.yaml --dry-run
            An empty value (KEY=) removes the run-time change and restores the configured value.
            Exit status: 0 applied, 1 refused or failed (the reason is printed), 64 bad usage.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "KEY=VALUE pairs.") var pairs: [String] = []
    @Option(help: "A YAML file with the keys to change.") var file: String?
    @Flag(help: "Validate and show the result without applying it.") var dryRun = false
    @Option(help: "Apply only if the configuration is still at this revision.") var expectedRevision: UInt64?

    func validate() throws {
        if pairs.isEmpty == (file == nil) { throw ValidationError("give KEY=VALUE pairs or --file, not both") }
        for pair in pairs where !pair.contains("=") { throw ValidationError("'\(pair)' is not KEY=VALUE") }
    }

    func run() async throws {
        var request = Aigw_V1_UpdateConfigRequest()
        if let file {
            request.yamlPatch = try String(contentsOfFile: file, encoding: .utf8)
        } else {
            // One flat YAML key per pair: dotted keys may hold model names with dots of their own.
            request.yamlPatch = pairs.map { pair in
                let key = pair.prefix { $0 != "=" }
                let value = pair.dropFirst(key.count + 1)
                return "\(Self.quote(String(key))): \(value.isEmpty ? "null" : Self.quote(String(value)))"
            }.joined(separator: "\n")
        }
        request.dryRun = dryRun
        request.expectedRevision = expectedRevision ?? 0
        request.changedBy = Config.author
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.updateConfig, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
        } else {
            print("# revision \(response.revision)\(dryRun ? " (dry run: nothing applied)" : "")")
            print(response.yaml, terminator: "")
        }
    }

    static func quote(_ s: String) -> String {
        "\"" + s.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

struct ConfigHistory: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the run-time changes, newest first: who, when, what.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "At most this many changes (the server keeps 100).") var limit: UInt32 = 20

    func run() async throws {
        var request = Aigw_V1_GetConfigHistoryRequest()
        request.limit = limit
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getConfigHistory, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        if response.changes.isEmpty { print("no run-time changes") }
        for change in response.changes { Self.show(change) }
    }

    static func show(_ change: Aigw_V1_ConfigChange) {
        let when = Date(timeIntervalSince1970: Double(change.changedAtUnixMs) / 1000).formatted(.iso8601)
        let what = change.rollbackOf == 0 ? "" : "  (rollback of revision \(change.rollbackOf))"
        Swift.print("revision \(change.revision)  \(when)  \(change.changedBy)\(what)")
        for entry in change.entries {
            let old = entry.hasOldValue ? entry.oldValue : "(configured)"
            let new = entry.hasNewValue ? entry.newValue : "(configured)"
            Swift.print("  \(entry.key): \(old) -> \(new)")
        }
    }
}

struct ConfigRollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rollback",
        abstract: "Undo the newest run-time change not yet undone; run again to undo the one before.",
        discussion: "Exit status: 0 rolled back, 1 nothing to roll back or refused, 64 bad usage.")

    @OptionGroup var connection: ConnectionOptions
    @Flag(help: "Show the result without applying it.") var dryRun = false
    @Option(help: "Apply only if the configuration is still at this revision.") var expectedRevision: UInt64?

    func run() async throws {
        var request = Aigw_V1_RollbackConfigRequest()
        request.dryRun = dryRun
        request.expectedRevision = expectedRevision ?? 0
        request.changedBy = Config.author
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.rollbackConfig, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        let undone = response.undone ?? Aigw_V1_ConfigChange()
        print("# undid revision \(undone.revision); now revision \(response.revision)"
              + (dryRun ? " (dry run: nothing applied)" : ""))
        for entry in undone.entries {
            let restored = entry.hasOldValue ? entry.oldValue : "(configured)"
            print("#   \(entry.key) -> \(restored)")
        }
        print(response.yaml, terminator: "")
    }
}
