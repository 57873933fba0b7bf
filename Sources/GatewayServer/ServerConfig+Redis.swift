import GatewayRedis

extension ServerConfig.Redis {
    /// The connection settings, from `redis.url` with the separate keys overriding its parts; nil without Redis.
    func connectionConfiguration() throws -> RedisConfiguration? {
        guard isConfigured else { return nil }
        var c = try url.map { try RedisConfiguration(url: $0.value) } ?? RedisConfiguration()
        // A host or port given separately means TCP, even over a unix:// URL.
        if host != nil || port != nil { c.socketPath = nil }
        if let host { c.host = host }
        if let port { c.port = port }
        if let password { c.password = password.value }
        if let db { c.db = db }
        c.commandTimeout = .milliseconds(commandTimeoutMillis)
        c.connectTimeout = .milliseconds(max(commandTimeoutMillis, 500))
        c.poolSize = poolSize
        return c
    }
}
