import Foundation

/// The aigw server under test, started as its own process like in production.
final class AigwProcess {
    static let token = "bench-admin-token"
    let process = Process()
    let socket: String
    let tcpPort: Int

    init(binary: String, socket: String, environment: [String: String] = [:]) throws {
        self.socket = socket
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["serve", "--socket", socket, "--tcp", "127.0.0.1:0", "--log-level", "warning",
                             "--enable-debug-methods"]
        process.environment = ["AIGW_ADMIN_TOKEN": Self.token, "PATH": "/usr/bin:/bin"]
            .merging(environment) { _, new in new }
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        var line = ""
        let handle = out.fileHandleForReading
        while !line.hasSuffix("\n") {
            let data = handle.readData(ofLength: 1)
            guard !data.isEmpty else { throw BenchError("aigw exited before listening") }
            line += String(decoding: data, as: UTF8.self)
        }
        guard let range = line.range(of: "tcp=127.0.0.1:"), let port = Int(line[range.upperBound...].prefix { $0.isNumber })
        else { throw BenchError("unexpected start-up line: \(line)") }
        tcpPort = port
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
