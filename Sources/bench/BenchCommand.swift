import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire
import NIOCore

/// Measures Health RPC latency and throughput against a raw length-prefixed echo over the same socket type, in the
/// same run, and writes the comparison to docs/benchmarks.md.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Benchmark aigw's RPC path against a raw echo baseline (build with -c release).")

    @Option(help: "Path to the aigw binary (a release build).")
    var aigw: String = ".build/release/aigw"

    @Option(help: "Markdown file to write the results to.")
    var output: String?

    @Option(help: "Seconds per measurement.")
    var seconds: Double = 3

    @Flag(help: "Run the RPC callers on the client connection's event loop.")
    var pinned = false

    @Option(help: "Comma-separated calls in flight.")
    var inFlight: String = "1,16,256"

    func run() async throws {
        let levels = inFlight.split(separator: ",").compactMap { Int($0) }
        let duration = Duration.milliseconds(Int64(seconds * 1000))
        let warmUp = Duration.milliseconds(300)
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("aigw-bench-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }

        let (echoUnix, echoTCP) = try await EchoServer.start(unixPath: dir.appendingPathComponent("echo.sock").path)
        let echoPort = echoTCP.localAddress?.port ?? 0
        let server = try AigwProcess(binary: aigw, socket: dir.appendingPathComponent("aigw.sock").path)
        defer { server.stop() }

        var healthDialect = RPCDialect(method: Aigw_V1_Admin.health.path, token: AigwProcess.token)
        let taskDialect = RPCDialect(method: Aigw_V1_Debug.echo.path, token: AigwProcess.token)
        // The echo carries the same bytes as an RPC Health request frame.
        var envelope = ByteBuffer()
        healthDialect.request(1, into: &envelope)
        envelope.moveReaderIndex(forwardBy: WireProtocol.lengthPrefixBytes)
        let echoDialect = EchoDialect(frame: envelope)

        var rows: [Row] = []
        for transport in ["unix", "tcp"] {
            let echoTarget: Target = transport == "unix" ? .unix(dir.appendingPathComponent("echo.sock").path) : .tcp(echoPort)
            let clientTarget: GatewayTarget = transport == "unix"
                ? .unix(path: server.socket) : .tcp(host: "127.0.0.1", port: server.tcpPort)
            // Admin over TCP needs a token; the bench server is started with one.
            let client = try await GatewayClient.connect(to: clientTarget, token: AigwProcess.token)
            let rpcTarget: Target = transport == "unix" ? .unix(server.socket) : .tcp(server.tcpPort)
            for n in levels {
                // Each measurement follows a short warm-up of the same load.
                func measure<D: LoadDialect>(_ target: Target, _ dialect: D) async throws -> Stats {
                    _ = try await PipelinedLoad.run(target: target, dialect: dialect, inFlight: n, duration: warmUp)
                    return Stats(try await PipelinedLoad.run(target: target, dialect: dialect, inFlight: n,
                                                             duration: duration), duration)
                }
                let echo = try await measure(echoTarget, echoDialect)
                let rpc = try await measure(rpcTarget, healthDialect)
                let task = try await measure(rpcTarget, taskDialect)
                _ = try await RPCLoadClient.run(client: client, inFlight: n, duration: warmUp, pinned: pinned)
                let swiftClient = Stats(
                    try await RPCLoadClient.run(client: client, inFlight: n, duration: duration, pinned: pinned), duration)
                let row = Row(transport: transport, inFlight: n, echo: echo, rpc: rpc, task: task, swiftClient: swiftClient)
                print(row.line)
                rows.append(row)
            }
            await client.close()
        }
        try await echoUnix.close()
        try await echoTCP.close()

        let report = Report(rows: rows, seconds: seconds).markdown
        if let output {
            try report.write(toFile: output, atomically: true, encoding: .utf8)
            print("wrote \(output)")
        } else {
            print(report)
        }
    }
}
