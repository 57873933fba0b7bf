import ArgumentParser
import GatewayWire

/// How the CLI's `--period` options spell a period: `daily`, `weekly` or `monthly`.
extension Aigw_V1_Period {
    init(cli text: String) throws {
        switch text {
        case "daily": self = .daily
        case "weekly": self = .weekly
        case "monthly": self = .monthly
        default: throw ValidationError("--period must be daily, weekly or monthly, got '\(text)'")
        }
    }

    var cliName: String {
        switch self {
        case .daily: "daily"
        case .weekly: "weekly"
        case .monthly: "monthly"
        default: "?"
        }
    }
}
