extension FakeUpstream {
    /// One POST to the fake's webhook sink (`/hooks/<anything>`), for tests of alert delivery.
    public struct WebhookDelivery: Sendable {
        public var path: String
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// What the fake answered: 503 while failures were scripted (``FakeUpstream/failWebhooks(next:)``), else 200.
        public var status: Int

        public var text: String { String(decoding: body, as: UTF8.self) }
    }
}
