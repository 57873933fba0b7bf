import ArgumentParser
import Foundation
import GatewayCore
import GatewayClient
import GatewayWire

/// Nano-dollars as exact dollars (see `Money.dollars`).
func dollars(_ nanos: Int64) -> String { Money.dollars(nanos) }

/// One row of a usage table.
func usageRow(_ t: Aigw_V1_UsageTotals) -> [String] {
    let u = t.usage ?? Aigw_V1_Usage()
    return [t.key, String(t.requests), String(u.inputTokens), String(u.cachedInputTokens), String(u.cacheWriteTokens),
            String(u.outputTokens), dollars(t.costNanoUsd), String(t.cacheHits)]
}

let usageHeader = ["KEY", "REQUESTS", "INPUT", "CACHED", "CACHE WRITE", "OUTPUT", "COST", "CACHE HITS"]

struct Usage: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Usage and cost for a day, week or month, with breakdowns by model and endpoint.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "daily, weekly or monthly.") var period: String = "daily"
    @Option(help: "A day in the period, YYYY-MM-DD (UTC). Default: today.") var date: String?
    @Option(help: "Only this user.") var user: String?
    @Option(help: "Only this org.") var org: String?

    func run() async throws {
        var request = Aigw_V1_GetUsageRequest()
        request.period = try Aigw_V1_Period(cli: period)
        request.date = date ?? ""
        request.userId = user ?? ""
        request.orgId = org ?? ""
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getUsage, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        print("\(period) usage \(response.periodStart) to \(response.periodEnd): average cost per request "
            + dollars(response.averageCostPerRequestNanoUsd))
        var table = TextTable(header: usageHeader)
        table.rows = [usageRow(response.totals ?? Aigw_V1_UsageTotals())]
        print(table.render())
        for (title, rows) in [("by model", response.byModel), ("by endpoint", response.byEndpoint)] where !rows.isEmpty {
            print("\n\(title)")
            var t = TextTable(header: usageHeader)
            t.rows = rows.map(usageRow)
            print(t.render())
        }
    }
}

/// Options shared by `costs` and `top-users`.
struct CostRange: ParsableArguments {
    @Option(help: "First day, YYYY-MM-DD (UTC). Default: 29 days before --end.") var start: String?
    @Option(help: "Last day, YYYY-MM-DD (UTC). Default: today.") var end: String?
    @Option(help: "How many top spenders.") var top: UInt32 = 10

    func request(user: String? = nil, org: String? = nil) -> Aigw_V1_GetCostsRequest {
        var request = Aigw_V1_GetCostsRequest()
        request.startDate = start ?? ""
        request.endDate = end ?? ""
        request.userId = user ?? ""
        request.orgId = org ?? ""
        request.topN = top
        return request
    }
}

struct Costs: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cost per day over a range, the total, and a linear forecast for the current month.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var range: CostRange
    @Option(help: "Only this user.") var user: String?
    @Option(help: "Only this org.") var org: String?

    func run() async throws {
        let request = range.request(user: user, org: org)
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getCosts, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        var table = TextTable(header: usageHeader)
        table.rows = response.daily.map(usageRow) + [usageRow(response.totals ?? Aigw_V1_UsageTotals())]
        print(table.render())
        if let f = response.forecast {
            print("\nforecast for \(f.month) (\(f.method) projection of month-to-date spend): "
                + "\(dollars(f.projectedNanoUsd)) (so far \(dollars(f.monthToDateNanoUsd)))")
        }
    }
}

struct TopUsers: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "top-users", abstract: "The biggest spenders over a range (users, or orgs with --orgs).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var range: CostRange
    @Flag(help: "Rank orgs instead of users.") var orgs = false

    func run() async throws {
        let request = range.request()
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getCosts, request, options: options)
        }
        let rows = orgs ? response.topOrgs : response.topUsers
        if connection.json {
            try connection.printJSON(rows)
            return
        }
        var table = TextTable(header: [orgs ? "ORG" : "USER"] + usageHeader.dropFirst())
        table.rows = rows.map(usageRow)
        print(table.render())
    }
}
