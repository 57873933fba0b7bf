import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

struct Models: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-model performance over the last minutes: latency, time to first token, errors, speed, cost.",
        discussion: """
            Statistics are the answering instance's own, over its window (metrics.model_stats_window_minutes, \
            15 by default). Latencies are of successful upstream attempts; time to first token is of streams; \
            a dash means no sample. Exit code 0 on success, 1 when the call fails.
            """)

    @OptionGroup var connection: ConnectionOptions
    @Option(help: "Only this model.") var model: String?

    func run() async throws {
        var request = Aigw_V1_GetModelStatsRequest()
        request.model = model ?? ""
        let response = try await connection.withClient { client, options in
            try await client.call(Aigw_V1_Admin.getModelStats, request, options: options)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        print("last \(response.windowSeconds / 60) min on instance \(response.instanceId)")
        var table = TextTable(header: [
            "MODEL", "REQUESTS", "ERRORS", "ERROR %", "P50 MS", "P95 MS", "TTFT P50", "TTFT P95", "TOKENS/S",
            "COST/REQ",
        ])
        table.rows = response.models.map { m in
            [m.model, String(m.requests), String(m.errors), String(format: "%.1f", m.errorRate * 100),
             Self.millis(m.latencyP50Ms), Self.millis(m.latencyP95Ms), Self.millis(m.firstTokenP50Ms),
             Self.millis(m.firstTokenP95Ms), String(format: "%.1f", m.outputTokensPerSecond),
             dollars(m.costPerRequestNanoUsd)]
        }
        print(table.render())
    }

    static func millis(_ ms: Double) -> String { ms == 0 ? "-" : String(format: "%.0f", ms) }
}
