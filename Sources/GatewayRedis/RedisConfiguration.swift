import GatewayCore

/// Where Redis is and how to talk to it.
public struct RedisConfiguration: Sendable, Hashable {
    public var host: String
    public var port: Int
    /// A Unix domain socket to connect to instead of `host` and `port`: for a Redis on the same machine, whose
    /// loopback TCP path costs each command about twice the kernel time of a Unix socket.
    public var socketPath: String?
    public var password: String?
    public var db: Int
    public var connectTimeout: Duration
    /// The longest a command may wait for its reply before the connection is declared broken.
    public var commandTimeout: Duration
    /// Connections in the pool, each pipelining what is sent to it; the client opens at least one per event loop.
    public var poolSize: Int

    public init(
        host: String = "127.0.0.1", port: Int = 6379, password: String? = nil, db: Int = 0,
        connectTimeout: Duration = .milliseconds(500), commandTimeout: Duration = .milliseconds(500),
        poolSize: Int = 2, socketPath: String? = nil
    ) {
        self.host = host
        self.port = port
        self.socketPath = socketPath
        self.password = password
        self.db = db
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.poolSize = max(1, poolSize)
    }

    /// Parses `redis://[:password@]host[:port][/db]`, or `unix://[:password@]/path/to/redis.sock[?db=N]` for a
    /// Redis on the same machine (the form redis-py and hiredis use). A user name before the colon is ignored; Redis 6
    /// ACL users are not supported yet.
    public init(url: String) throws {
        self.init()
        if url.hasPrefix("unix://") {
            try parseSocket(Substring(url.dropFirst("unix://".count)))
            return
        }
        guard url.hasPrefix("redis://") else {
            throw GatewayError(.invalidArgument, "expected a redis:// or unix:// URL", reason: "invalid_redis_url")
        }
        var rest = Substring(url.dropFirst("redis://".count))
        takeCredentials(&rest)
        if let slash = rest.firstIndex(of: "/") {
            let dbText = rest[rest.index(after: slash)...]
            rest = rest[..<slash]
            if !dbText.isEmpty {
                guard let n = Int(dbText), n >= 0 else {
                    throw GatewayError(.invalidArgument, "invalid database '\(dbText)' in the Redis URL",
                                       reason: "invalid_redis_url")
                }
                db = n
            }
        }
        if let colon = rest.lastIndex(of: ":"), !rest.hasSuffix("]") {
            guard let p = Int(rest[rest.index(after: colon)...]), (1...65535).contains(p) else {
                throw GatewayError(.invalidArgument, "invalid port in the Redis URL", reason: "invalid_redis_url")
            }
            port = p
            rest = rest[..<colon]
        }
        if rest.hasPrefix("[") && rest.hasSuffix("]") { rest = rest.dropFirst().dropLast() }
        if !rest.isEmpty { host = String(rest) }
    }

    /// Where connections go, for logs, errors and Health: `host:port` or the socket's path.
    public var address: String {
        socketPath ?? "\(host):\(port)"
    }

    /// `[:password@]/absolute/path[?db=N]`, after `unix://`.
    private mutating func parseSocket(_ text: Substring) throws {
        var rest = text
        takeCredentials(&rest)
        if let question = rest.firstIndex(of: "?") {
            let query = rest[rest.index(after: question)...]
            rest = rest[..<question]
            for pair in query.split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2, parts[0] == "db", let n = Int(parts[1]), n >= 0 else {
                    throw GatewayError(.invalidArgument, "unsupported parameter '\(pair)' in the Redis URL (only db=N)",
                                       reason: "invalid_redis_url")
                }
                db = n
            }
        }
        guard rest.hasPrefix("/"), rest.count > 1 else {
            throw GatewayError(.invalidArgument, "a unix:// Redis URL needs an absolute socket path",
                               reason: "invalid_redis_url")
        }
        socketPath = String(rest)
    }

    /// Takes `[user]:password@` off the front of `rest`, keeping the password.
    private mutating func takeCredentials(_ rest: inout Substring) {
        guard let at = rest.lastIndex(of: "@") else { return }
        let credentials = rest[..<at]
        rest = rest[rest.index(after: at)...]
        if let colon = credentials.firstIndex(of: ":") {
            let secret = String(credentials[credentials.index(after: colon)...])
            password = secret.isEmpty ? nil : (secret.removingPercentEncodingSimple ?? secret)
        }
    }
}

extension String {
    /// Decodes %XX escapes (passwords in URLs may contain them) without Foundation.
    fileprivate var removingPercentEncodingSimple: String? {
        guard contains("%") else { return self }
        var bytes: [UInt8] = []
        var it = utf8.makeIterator()
        while let b = it.next() {
            if b == UInt8(ascii: "%") {
                guard let h = it.next(), let l = it.next(), let v = UInt8(String(decoding: [h, l], as: UTF8.self), radix: 16)
                else { return nil }
                bytes.append(v)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
