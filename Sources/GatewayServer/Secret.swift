/// A configuration value that must never be printed: its description is always redacted, so a secret that reaches
/// a log line, `ServerInfo` or `GetConfig` shows as `<redacted>` instead of its value.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    public let value: String

    public init(_ value: String) {
        self.value = value
    }

    public var isEmpty: Bool { value.isEmpty }
    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
