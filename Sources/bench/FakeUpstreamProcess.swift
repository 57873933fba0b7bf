import Foundation

/// `aigw fake-upstream` as its own process, so the fake's work is not charged to the bench process that measures the
/// direct libcurl baseline (and does not share its event loops).
final class FakeUpstreamProcess {
    let process = Process()
    /// `http://127.0.0.1:PORT`, as the fake printed it once it was listening.
    let baseURL: String

    /// Starts the fake on a free port and waits for its "listening" line.
    init(binary: String, tokenDelayMilliseconds: Int = 0) throws {
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["fake-upstream", "--port", "0", "--token-delay-ms", String(tokenDelayMilliseconds)]
        process.environment = ["PATH": "/usr/bin:/bin"]
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        let line = try AigwProcess.firstLine(of: out, or: "fake-upstream exited before listening")
        guard let range = line.range(of: "listening: ") else {
            throw BenchError("unexpected fake-upstream start-up line: \(line)")
        }
        baseURL = line[range.upperBound...].trimmingCharacters(in: .whitespacesAndNewlines)
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
