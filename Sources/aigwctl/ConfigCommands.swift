import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

struct Config: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the effective configuration, or change it at run time on every instance.",
        subcommands: [ConfigGet.self, ConfigSet.self], defaultSubcommand: ConfigGet.self)
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
        abstract: "Change settings at run time: KEY=VALUE pairs or a YAML file. Today: prices.<model>.<field>.",
        discussion: """
            Examples:
              aigwctl config set prices.gpt-4o-mini.output_per_1k=0.0012
              aigwctl config set --file prices.yaml --dry-run
            An empty value (KEY=) removes the run-time change and restores the configured value.
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
