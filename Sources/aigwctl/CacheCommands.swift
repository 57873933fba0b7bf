import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

struct Cache: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The response cache: hit rates per operation, and flushing.",
        subcommands: [CacheStats.self, CacheFlush.self], defaultSubcommand: CacheStats.self)
}

struct CacheStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Hits, misses, stores, evictions, errors, entries, bytes and hit rate per operation.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getCacheStats, Aigw_V1_GetCacheStatsRequest(), options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        print("backend: \(response.backend)")
        var table = TextTable(header: [
            "OPERATION", "HITS", "MISSES", "HIT RATE", "STORES", "EVICTIONS", "ERRORS", "ENTRIES", "BYTES",
        ])
        table.rows = response.operations.map { o in
            [
                shortName(o.endpoint.protoName, "ENDPOINT_"), String(o.hits), String(o.misses),
                String(format: "%.1f%%", o.hitRate * 100), String(o.stores), String(o.evictions), String(o.errors),
                String(o.entries), String(o.bytes),
            ]
        }
        print(table.render())
    }
}

struct CacheFlush: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "flush", abstract: "Remove cached answers: all, one operation's, one org's, or both.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this operation: summarize, search, chat, embeddings or translation.") var endpoint: String?
    @Option(help: "Only this org's answers.") var org: String?

    func run() async throws {
        var request = Aigw_V1_FlushCacheRequest()
        request.endpoint = try Limits.endpoint(endpoint)
        request.orgId = org ?? ""
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.flushCache, request, options: options)
        }
        if connection.json { try connection.printJSON(response) } else { print("removed: \(response.removed)") }
    }
}
