import Foundation
@testable import GatewayServer
import Testing

/// The README's configuration table is the reference newcomers read: every key and its environment variable must be
/// in it.
@Suite struct ReadmeConfigTests {
    @Test func everyConfigurationKeyIsDocumented() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        for key in ConfigLoader.keys {
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(key.path)` |") }
            let line = try #require(row, "README.md has no row for \(key.path)")
            for variable in key.env {
                #expect(line.contains("`\(variable)`"), "README row for \(key.path) does not name \(variable)")
            }
        }
    }
}
