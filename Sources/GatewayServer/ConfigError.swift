/// A configuration problem, naming the key (dotted YAML path) or environment variable at fault.
public struct ConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The YAML key, e.g. "server.max_frame_bytes", or the environment variable's name.
    public var key: String
    public var message: String
    /// Where the bad value came from: a file path, "environment" or "flags".
    public var source: String

    public init(key: String, message: String, source: String) {
        self.key = key
        self.message = message
        self.source = source
    }

    public var description: String { "\(source): \(key): \(message)" }
}
