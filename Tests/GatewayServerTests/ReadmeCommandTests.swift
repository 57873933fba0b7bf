import Foundation
import GatewayWire
import Testing

/// The README's command table is how operators find the CLI for an Admin RPC: every Admin method of the contract
/// must have a row naming it.
@Suite struct ReadmeCommandTests {
    @Test func everyAdminMethodHasACommand() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let rows = readme.split(separator: "\n").filter { $0.hasPrefix("| `") && $0.contains("Admin.") }
        for method in Aigw_V1_Admin.allMethods {
            let name = method.name
            #expect(rows.contains { $0.contains("`Admin.\(name)`") || $0.contains("/ `\(name)`") },
                    "README's command table has no row for Admin.\(name)")
        }
    }
}
