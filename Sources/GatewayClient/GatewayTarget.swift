/// Where an aigw server listens.
public enum GatewayTarget: Sendable, Hashable, CustomStringConvertible {
    case unix(path: String)
    case tcp(host: String, port: Int)

    /// Parses "unix:PATH", a path starting with "/", or "HOST:PORT".
    public init?(parsing s: String) {
        if s.hasPrefix("unix:") {
            self = .unix(path: String(s.dropFirst(5)))
        } else if s.hasPrefix("/") || s.hasPrefix(".") {
            self = .unix(path: s)
        } else if let colon = s.lastIndex(of: ":"), let port = Int(s[s.index(after: colon)...]) {
            var host = String(s[..<colon])
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            guard !host.isEmpty, (1...65535).contains(port) else { return nil }
            self = .tcp(host: host, port: port)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .unix(let path): "unix:\(path)"
        case .tcp(let host, let port): host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        }
    }
}
