import Foundation

/// The aigw server under test, started as its own process like in production.
final class AigwProcess {
    static let token = "bench-admin-token"
    let process = Process()
    let socket: String
    let tcpPort: Int
    /// "127.0.0.1:PORT" of the Prometheus endpoint, when it is served.
    let metricsAddress: String?

    init(binary: String, socket: String, environment: [String: String] = [:]) throws {
        self.socket = socket
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--socket", socket, "--tcp", "127.0.0.1:0", "--log-level", "warning",
                             "--enable-debug-methods"]
        // An ephemeral metrics port: on, as in production, without colliding with another aigw on the default.
        process.environment = ["AIGW_ADMIN_TOKEN": Self.token, "PATH": "/usr/bin:/bin",
                               "AIGW_METRICS_LISTEN": "127.0.0.1:0"]
            .merging(environment) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let line = try Self.firstLine(of: out, or: "aigw exited before listening")
        guard let range = line.range(of: "tcp=127.0.0.1:"), let port = Int(line[range.upperBound...].prefix { $0.isNumber })
        else { throw BenchError("unexpected start-up line: \(line)") }
        tcpPort = port
        metricsAddress = line.range(of: " metrics=").map {
            String(line[$0.upperBound...].prefix { $0 != " " && $0 != "\n" })
        }
    }

    /// A child's first stdout line (its "listening" announcement), read byte by byte so nothing after it is consumed.
    static func firstLine(of pipe: Pipe, or failure: String) throws -> String {
        var line = ""
        let handle = pipe.fileHandleForReading
        while !line.hasSuffix("\n") {
            let data = handle.readData(ofLength: 1)
            guard !data.isEmpty else { throw BenchError(failure) }
            line += String(decoding: data, as: UTF8.self)
        }
        return line
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
