extension CurlHTTPClient {
    /// Counters for metrics and for tests that prove connection reuse.
    public struct Stats: Sendable, Hashable {
        /// Transfers handed to libcurl.
        public var transfersStarted: Int
        /// Transfers whose response ended normally (any status).
        public var transfersCompleted: Int
        /// Transfers that ended in an error other than cancellation (timeouts and shutdown included).
        public var transfersFailed: Int
        /// Transfers aborted because the caller cancelled or dropped them.
        public var transfersCancelled: Int
        /// New connections libcurl opened (the sum of CURLINFO_NUM_CONNECTS); reused connections do not count.
        public var connectionsOpened: Int
        /// Times a transfer was paused because its consumer had fallen `Configuration.bodyBufferLimit` bytes behind.
        public var bodyPauses: Int

        public init(
            transfersStarted: Int = 0,
            transfersCompleted: Int = 0,
            transfersFailed: Int = 0,
            transfersCancelled: Int = 0,
            connectionsOpened: Int = 0,
            bodyPauses: Int = 0
        ) {
            self.transfersStarted = transfersStarted
            self.transfersCompleted = transfersCompleted
            self.transfersFailed = transfersFailed
            self.transfersCancelled = transfersCancelled
            self.connectionsOpened = connectionsOpened
            self.bodyPauses = bodyPauses
        }
    }
}
