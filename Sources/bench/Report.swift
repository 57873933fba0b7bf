import Foundation

/// docs/benchmarks.md: the table and how it was measured.
struct Report {
    let rows: [Row]
    let seconds: Double

    var markdown: String {
        let date = ISO8601DateFormatter().string(from: Date()).prefix(10)
        var lines = [
            "# Benchmarks",
            "",
            "Measured \(date) by `make bench` (release build) on a \(ProcessInfo.processInfo.activeProcessorCount)-core shared machine;",
            "absolute numbers are noisy here, so compare the ratio, which is measured in the same run.",
            "",
            "## Health RPC vs raw length-prefixed echo",
            "",
            "- **Echo (baseline)**: a NIO server with aigw's frame decoder and socket options that writes every frame",
            "  straight back, driven by a bare NIO client that keeps N copies of a Health request frame in flight.",
            "- **RPC**: the same bare client speaking the real protocol to a release `aigw` process (handshake, a fresh",
            "  call id per request, every answer's envelope decoded and checked); the server decodes the envelope through",
            "  protobuf-c, routes, authorizes, runs the handler in a task, and frames the response.",
            "- **Swift client**: `Admin.Health` through `GatewayClient` from N concurrent tasks (what a Swift service sees).",
            "- Each cell: \(fmt(seconds, 1)) s after a 0.3 s warm-up; one connection; latency in microseconds.",
            "- **Target**: RPC throughput at least 0.5x the echo's at 256 calls in flight.",
            "",
            "| transport | in flight | echo req/s | echo p50/p99 us | RPC req/s | RPC p50/p99 us | RPC/echo | Swift client req/s | client p50/p99 us | client/echo |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
        ]
        for r in rows {
            lines.append(
                "| \(r.transport) | \(r.inFlight) | \(Int(r.echo.perSecond)) | \(fmt(r.echo.p50)) / \(fmt(r.echo.p99)) | "
                    + "\(Int(r.rpc.perSecond)) | \(fmt(r.rpc.p50)) / \(fmt(r.rpc.p99)) | **\(fmt(r.ratio, 2))x** | "
                    + "\(Int(r.swiftClient.perSecond)) | \(fmt(r.swiftClient.p50)) / \(fmt(r.swiftClient.p99)) | "
                    + "\(fmt(r.clientRatio, 2))x |")
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }
}
