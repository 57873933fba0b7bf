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
            // The fifteen limit keys share one row: `limits.<endpoint>.<level>`; the five cache TTLs another.
            let isTTL = key.path.hasPrefix("cache.ttl.")
            let documented = key.path.hasPrefix("limits.") ? "limits.<endpoint>.<level>"
                : isTTL ? "cache.ttl.<endpoint>" : key.path
            let row = readme.split(separator: "\n").first { $0.hasPrefix("| `\(documented)` |") }
            let line = try #require(row, "README.md has no row for \(key.path)")
            let variables = key.path.hasPrefix("limits.") ? ["AIGW_LIMIT_<ENDPOINT>_<LEVEL>"]
                : isTTL ? ["AIGW_CACHE_TTL_<ENDPOINT>"] : key.env
            for variable in variables {
                #expect(line.contains("`\(variable)`"), "README row for \(key.path) does not name \(variable)")
            }
        }
    }
}
