extension FakeUpstream {
    /// How a fake upstream is set up at start; what it does per request is scripted afterwards.
    public struct Configuration: Sendable {
        /// When set, `/v1/chat/completions` requires `Authorization: Bearer <key>` and answers a missing or wrong key
        /// with OpenAI's 401.
        public var openAIKey: String?
        /// When set, `/v1/messages` requires `x-api-key: <key>` and answers a missing or wrong key with Anthropic's
        /// 401.
        public var anthropicKey: String?
        /// How streams are framed.
        public var sseStyle: FakeSSEStyle
        /// The most requests ``FakeUpstream/requests`` keeps; older ones are dropped first, so a long bench run does
        /// not grow without bound. Attempt counters are not affected.
        public var requestLogLimit: Int

        public init(
            openAIKey: String? = nil,
            anthropicKey: String? = nil,
            sseStyle: FakeSSEStyle = .plain,
            requestLogLimit: Int = 10_000
        ) {
            self.openAIKey = openAIKey
            self.anthropicKey = anthropicKey
            self.sseStyle = sseStyle
            self.requestLogLimit = requestLogLimit
        }
    }
}
