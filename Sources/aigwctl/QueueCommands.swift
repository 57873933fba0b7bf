import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

/// `aigwctl enqueue`, `aigwctl job`, `aigwctl queue stats` and `aigwctl dlq list|retry|purge`: the request queue.
struct Enqueue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Queue one chat completion for background processing and print its job id.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "critical, high, normal, low or background.") var priority: String = "normal"
    @Option(help: "Attempts before the dead-letter queue; 0 uses the server's default.") var maxAttempts: UInt32 = 0
    @Option(help: "Limit of one attempt in milliseconds; 0 uses the server's default.") var timeoutMs: UInt64 = 0
    @Option(name: .customLong("key"), help: "Idempotency key: enqueueing it again returns the first job.")
    var idempotencyKey: String = ""
    @OptionGroup var options: CompletionOptions

    func run() async throws {
        var request = Aigw_V1_EnqueueRequest()
        request.request = try options.request()
        request.priority = try Queue.priority(priority)
        request.maxAttempts = maxAttempts
        request.timeoutMs = timeoutMs
        request.idempotencyKey = idempotencyKey
        let response = try await connection.withClient { client, callOptions in
            try await client.call(Aigw_V1_Gateway.enqueue, request, options: callOptions)
        }
        if connection.json {
            try connection.printJSON(response)
        } else {
            print(response.jobId + (response.duplicate ? " (already enqueued with this key)" : ""))
        }
    }
}

struct Job: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show a queued job: state, attempts, last error and its answer once it succeeded.")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "The job id Enqueue returned.") var id: String
    @Option(help: "Wait up to this many seconds (at most 60) for the job to end.") var wait: Double?

    func run() async throws {
        var request = Aigw_V1_GetJobRequest()
        request.jobId = id
        let waitMillis = UInt64(max(0, min(wait ?? 0, 60)) * 1000)
        request.waitMs = waitMillis
        let response = try await connection.withClient { client, _ in
            let timeout = Int64(connection.timeout * 1000) + Int64(waitMillis)
            return try await client.call(Aigw_V1_Gateway.getJob, request, options: CallOptions(timeout: .milliseconds(timeout)))
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        let job = response.job ?? Aigw_V1_Job()
        var table = TextTable(header: ["FIELD", "VALUE"])
        table.rows = [
            ["job", job.jobId],
            ["state", Queue.name(job.state)],
            ["priority", Queue.name(job.priority)],
            ["attempts", "\(job.attempts)/\(job.maxAttempts)"],
            ["caller", "user=\(job.caller?.userId ?? "") org=\(job.caller?.orgId ?? "")"],
            ["created", Queue.time(job.createdAtUnixMs)],
            ["updated", Queue.time(job.updatedAtUnixMs)],
        ]
        if !job.lastError.isEmpty { table.rows.append(["last error", job.lastError]) }
        if let result = job.result {
            table.rows.append(["answered by", "\(shortName(result.provider.protoName, "PROVIDER_"))/\(result.model)"])
        }
        print(table.render())
        if let result = job.result { print(result.content) }
        if job.state == .failed || job.state == .dead { throw ExitCode(3) }
    }
}

struct Queue: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The request queue's counters per priority.", subcommands: [QueueStats.self],
        defaultSubcommand: QueueStats.self)

    static func priority(_ text: String) throws -> Aigw_V1_Priority {
        switch text.lowercased() {
        case "critical": .critical
        case "high": .high
        case "normal": .normal
        case "low": .low
        case "background": .background
        default: throw ValidationError("--priority is critical, high, normal, low or background, got '\(text)'")
        }
    }

    static func name(_ p: Aigw_V1_Priority) -> String { shortName(p.protoName, "PRIORITY_") }
    static func name(_ s: Aigw_V1_JobState) -> String { shortName(s.protoName, "JOB_STATE_") }

    static func time(_ millis: Int64) -> String {
        millis == 0 ? "-" : ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
    }

    static func percent(_ rate: Double) -> String { String(format: "%.1f%%", rate * 100) }
}

struct QueueStats: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Queue counters per priority.")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let stats = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getQueueStats, Aigw_V1_GetQueueStatsRequest(), options: options)
        }
        if connection.json {
            try connection.printJSON(stats)
            return
        }
        var table = TextTable(header: [
            "PRIORITY", "QUEUED", "RUNNING", "SUCCEEDED", "FAILED", "DEAD", "RETRIED", "AVG MS", "SUCCESS", "FAILURE",
        ])
        table.rows = stats.priorities.map { p in
            [Queue.name(p.priority), "\(p.queued)", "\(p.running)", "\(p.succeeded)", "\(p.failed)", "\(p.dead)",
             "\(p.retried)", "\(p.averageProcessingMs)", Queue.percent(p.successRate), Queue.percent(p.failureRate)]
        }
        table.rows.append([
            "all", "\(stats.queued.reduce(0) { $0 + $1.depth })", "\(stats.running)", "\(stats.succeeded)",
            "\(stats.failed)", "\(stats.dead)", "\(stats.retried)", "\(stats.averageProcessingMs)",
            Queue.percent(stats.successRate), Queue.percent(stats.failureRate),
        ])
        print(table.render())
        print("workers on this instance: \(stats.workers)")
    }
}

struct DeadLetters: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dlq", abstract: "The dead-letter queue: jobs out of attempts.",
        subcommands: [DeadLetterList.self, DeadLetterRetry.self, DeadLetterPurge.self],
        defaultSubcommand: DeadLetterList.self)
}

struct DeadLetterList: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "Dead jobs, oldest first.")

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "At most this many, 1 to 1000.") var limit: UInt32 = 100
    @Option(help: "Start after this job id (the previous page's last).") var after: String = ""

    func run() async throws {
        var request = Aigw_V1_ListDeadLettersRequest()
        request.limit = limit
        request.afterJobId = after
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.listDeadLetters, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        var table = TextTable(header: ["JOB", "PRIORITY", "ATTEMPTS", "USER", "ORG", "DIED", "LAST ERROR"])
        table.rows = response.jobs.map { j in
            [j.jobId, Queue.name(j.priority), "\(j.attempts)/\(j.maxAttempts)", j.caller?.userId ?? "",
             j.caller?.orgId ?? "", Queue.time(j.updatedAtUnixMs), String(j.lastError.prefix(80))]
        }
        print(table.render())
        if !response.nextAfterJobId.isEmpty { print("more: --after \(response.nextAfterJobId)") }
    }
}

/// Which dead jobs a retry or purge acts on: the ids given, or every one.
struct DeadLetterSelection: ParsableArguments {
    @Flag(help: "Every dead job.") var all = false
    @Argument(help: "Job ids.") var ids: [String] = []

    func validate() throws {
        if all == !ids.isEmpty { throw ValidationError("give job ids or --all") }
    }

    /// Calls `once` until it is done: a call for "all" handles at most 10,000 jobs, so it repeats until a call
    /// handles fewer. Returns the total handled.
    func repeated(_ once: () async throws -> UInt32) async throws -> UInt32 {
        var total: UInt32 = 0
        while true {
            let n = try await once()
            total += n
            if !all || n < 10_000 { return total }
        }
    }
}

struct DeadLetterRetry: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Put dead jobs back in the queue with fresh attempts: the ids given, or --all.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var selection: DeadLetterSelection

    func run() async throws {
        var request = Aigw_V1_RetryDeadLettersRequest()
        request.jobIds = selection.ids
        let total = try await connection.withClient { client, options in
            try await selection.repeated {
                try await client.call(Aigw_V1_Admin.retryDeadLetters, request, options: options).retried
            }
        }
        if connection.json { print("{\"retried\": \(total)}") } else { print("retried \(total)") }
    }
}

struct DeadLetterPurge: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "purge", abstract: "Delete dead jobs: the ids given, or --all.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var selection: DeadLetterSelection

    func run() async throws {
        var request = Aigw_V1_PurgeDeadLettersRequest()
        request.jobIds = selection.ids
        let total = try await connection.withClient { client, options in
            try await selection.repeated {
                try await client.call(Aigw_V1_Admin.purgeDeadLetters, request, options: options).purged
            }
        }
        if connection.json { print("{\"purged\": \(total)}") } else { print("purged \(total)") }
    }
}
