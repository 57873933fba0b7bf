import ArgumentParser
import Foundation
import GatewayClient
import GatewayCore
import GatewayWire

struct Budgets: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Spending budgets per user or org: alerts at thresholds, optionally enforced.",
        subcommands: [BudgetList.self, BudgetCreate.self, BudgetUpdate.self, BudgetDelete.self],
        defaultSubcommand: BudgetList.self)

    static func printTable(_ budgets: [Aigw_V1_BudgetAlert]) {
        var table = TextTable(header: [
            "ID", "NAME", "SUBJECT", "PERIOD", "LIMIT", "SPENT", "RESERVED", "USED", "NOTIFY AT", "ENFORCED", "ENABLED",
        ])
        table.rows = budgets.map { b in
            let used = b.limitNanoUsd > 0 ? "\(Int128(b.spentNanoUsd) * 100 / Int128(b.limitNanoUsd))%" : "-"
            return [
                b.id, b.name, b.userId.isEmpty ? "org:\(b.orgId)" : "user:\(b.userId)",
                "\(b.period.cliName) \(b.periodStart)", dollars(b.limitNanoUsd), dollars(b.spentNanoUsd),
                dollars(b.reservedNanoUsd), used, b.notifyAtPercent.map(String.init).joined(separator: ","),
                b.hardLimit ? "yes" : "no", b.enabled ? "yes" : "no",
            ]
        }
        print(table.render())
    }

    static func nanos(parsing text: String) throws -> Int64 {
        guard let nanos = Money.nanos(fromDollars: text), nanos > 0 else {
            throw ValidationError("--limit takes dollars, e.g. 250 or 12.50, got '\(text)'")
        }
        return nanos
    }

    static func percents(parsing text: String) throws -> [UInt32] {
        if text.isEmpty { return [] }
        return try text.split(separator: ",").map {
            guard let p = UInt32($0.trimmingCharacters(in: .whitespaces)) else {
                throw ValidationError("--notify-at takes percentages like 50,75,90,100, got '\(text)'")
            }
            return p
        }
    }

    static func output(_ budget: Aigw_V1_BudgetAlert, _ connection: ConnectionOptions) throws {
        if connection.json { try connection.printJSON(budget) } else { printTable([budget]) }
    }
}

struct BudgetList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Budgets with this period's spending.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this user's budgets.") var user: String?
    @Option(help: "Only this org's budgets.") var org: String?

    func run() async throws {
        var request = Aigw_V1_ListBudgetAlertsRequest()
        request.userId = user ?? ""
        request.orgId = org ?? ""
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.listBudgetAlerts, request, options: options)
        }
        if connection.json { try connection.printJSON(response) } else { Budgets.printTable(response.alerts) }
    }
}

struct BudgetCreate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a budget.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "A name for people.") var name: String
    @Option(help: "The user it caps (or --org).") var user: String?
    @Option(help: "The org it caps (or --user).") var org: String?
    @Option(help: "Dollars per period, e.g. 250 or 12.50.") var limit: String
    @Option(help: "daily, weekly or monthly.") var period: String = "monthly"
    @Option(name: .customLong("notify-at"), help: "Alert at these percentages of the limit.") var notifyAt = "50,75,90,100"
    @Flag(help: "Refuse Complete and Stream once the limit is reached.") var enforce = false
    @Flag(help: "Create it switched off.") var disabled = false
    @Option(help: "An id of your choice (letters, digits, _ and -). Default: generated.") var id: String?

    func validate() throws {
        if (user == nil) == (org == nil) { throw ValidationError("give exactly one of --user and --org") }
    }

    func run() async throws {
        var budget = Aigw_V1_BudgetAlert()
        budget.id = id ?? ""
        budget.name = name
        budget.userId = user ?? ""
        budget.orgId = org ?? ""
        budget.limitNanoUsd = try Budgets.nanos(parsing: limit)
        budget.period = try Aigw_V1_Period(cli: period)
        budget.notifyAtPercent = try Budgets.percents(parsing: notifyAt)
        budget.hardLimit = enforce
        budget.enabled = !disabled
        var request = Aigw_V1_CreateBudgetAlertRequest()
        request.alert = budget
        let created = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.createBudgetAlert, request, options: options)
        }
        try Budgets.output(created, connection)
    }
}

struct BudgetUpdate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "update", abstract: "Change a budget; options not given keep their value.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The budget's id.") var id: String
    @Option(help: "A name for people.") var name: String?
    @Option(help: "Dollars per period.") var limit: String?
    @Option(help: "daily, weekly or monthly.") var period: String?
    @Option(name: .customLong("notify-at"), help: "Alert at these percentages of the limit.") var notifyAt: String?
    @Option(help: "true or false.") var enforce: Bool?
    @Option(help: "true or false.") var enabled: Bool?

    func run() async throws {
        let updated = try await connection.withClient { client, options in
            let all = try await client.call(Aigw_V1_Admin.listBudgetAlerts, Aigw_V1_ListBudgetAlertsRequest(),
                                            options: options)
            guard var budget = all.alerts.first(where: { $0.id == id }) else {
                FileHandle.standardError.write(Data("aigwctl: no budget '\(id)'\n".utf8))
                throw ExitCode(1)
            }
            if let name { budget.name = name }
            if let limit { budget.limitNanoUsd = try Budgets.nanos(parsing: limit) }
            if let period { budget.period = try Aigw_V1_Period(cli: period) }
            if let notifyAt { budget.notifyAtPercent = try Budgets.percents(parsing: notifyAt) }
            if let enforce { budget.hardLimit = enforce }
            if let enabled { budget.enabled = enabled }
            var request = Aigw_V1_UpdateBudgetAlertRequest()
            request.alert = budget
            return try await client.call(Aigw_V1_Admin.updateBudgetAlert, request, options: options)
        }
        try Budgets.output(updated, connection)
    }
}

struct BudgetDelete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "delete", abstract: "Delete a budget.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The budget's id.") var id: String

    func run() async throws {
        var request = Aigw_V1_DeleteBudgetAlertRequest()
        request.id = id
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.deleteBudgetAlert, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
        } else if response.deleted {
            print("deleted \(id)")
        } else {
            FileHandle.standardError.write(Data("aigwctl: no budget '\(id)'\n".utf8))
            throw ExitCode(1)
        }
    }
}

struct Alerts: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The monitoring alerts firing now, then recent alerts, newest first.",
        discussion: """
            Kinds: budget_threshold, queue_length, error_rate, cache_hit_rate. A monitoring alert is listed when it
            fires (warning) and when it clears (info); while it fires it is also listed under ACTIVE.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "At most this many.") var limit: UInt32 = 50
    @Option(help: "Only alerts raised in the last N minutes.") var sinceMinutes: Int?

    func run() async throws {
        var request = Aigw_V1_ListAlertsRequest()
        request.limit = limit
        if let sinceMinutes {
            request.sinceUnixMs = Int64(Date().timeIntervalSince1970 * 1000) - Int64(sinceMinutes) * 60_000
        }
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.listAlerts, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        print("ACTIVE")
        print(response.active.isEmpty ? "none firing\n" : Self.table(response.active))
        print("RECENT")
        print(Self.table(response.alerts))
    }

    static func table(_ alerts: [Aigw_V1_Alert]) -> String {
        var table = TextTable(header: ["RAISED (UTC)", "SEVERITY", "KIND", "SUBJECT", "MESSAGE"])
        let format = ISO8601DateFormatter()
        table.rows = alerts.map { a in
            let severity = switch a.severity {
            case .info: "info"
            case .warning: "warning"
            case .critical: "critical"
            default: "-"
            }
            return [format.string(from: Date(timeIntervalSince1970: Double(a.raisedAtUnixMs) / 1000)), severity, a.kind,
                    a.subject, a.message]
        }
        return table.render()
    }
}
