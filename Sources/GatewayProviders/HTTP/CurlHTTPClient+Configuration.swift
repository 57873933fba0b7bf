extension CurlHTTPClient {
    /// How a client pools connections and identifies itself. The defaults suit a gateway talking to a few provider
    /// hosts: no cap on connections, a generous idle pool, HTTP/2 where offered.
    public struct Configuration: Sendable {
        /// At most this many connections to one host (CURLMOPT_MAX_HOST_CONNECTIONS); further requests queue inside
        /// libcurl, where their first-byte timeout keeps running. 0 means no limit.
        public var maxConnectionsPerHost: Int
        /// At most this many connections in total (CURLMOPT_MAX_TOTAL_CONNECTIONS). 0 means no limit.
        public var maxConnections: Int
        /// How many idle connections are kept for reuse (CURLMOPT_MAXCONNECTS). libcurl's default shrinks with the
        /// number of requests in flight, which would close warm connections after a burst. 0 means libcurl's default.
        public var maxIdleConnections: Int
        /// The User-Agent header; nil sends none.
        public var userAgent: String?
        /// Offer HTTP/2 over TLS (ALPN) and multiplex requests on one connection. Plain-text HTTP always uses 1.1.
        public var http2: Bool
        /// A CA bundle file to trust instead of the system store.
        public var caBundlePath: String?
        /// Pause a transfer when this many body bytes wait for a slow consumer, resuming when it has read three
        /// quarters of them, so memory per stream stays bounded.
        public var bodyBufferLimit: Int
        /// How many finished easy handles are kept for the next requests.
        public var easyHandlePoolSize: Int
        /// The name of the curl thread, as `top -H` and debuggers show it.
        public var threadName: String
        /// libcurl's verbose trace on standard error, for debugging only.
        public var verbose: Bool

        public init(
            maxConnectionsPerHost: Int = 0,
            maxConnections: Int = 0,
            maxIdleConnections: Int = 256,
            userAgent: String? = "aigw",
            http2: Bool = true,
            caBundlePath: String? = nil,
            bodyBufferLimit: Int = 1 << 20,
            easyHandlePoolSize: Int = 64,
            threadName: String = "aigw-curl",
            verbose: Bool = false
        ) {
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxConnections = maxConnections
            self.maxIdleConnections = maxIdleConnections
            self.userAgent = userAgent
            self.http2 = http2
            self.caBundlePath = caBundlePath
            self.bodyBufferLimit = bodyBufferLimit
            self.easyHandlePoolSize = easyHandlePoolSize
            self.threadName = threadName
            self.verbose = verbose
        }
    }
}
