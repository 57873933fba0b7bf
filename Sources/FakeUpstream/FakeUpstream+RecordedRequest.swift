import Foundation

extension FakeUpstream {
    /// One request that reached a provider endpoint, as received, so tests can check what the gateway sent.
    public struct RecordedRequest: Sendable {
        public var method: String
        /// The path without the query string.
        public var path: String
        /// The request target as sent, query string included.
        public var uri: String
        /// Header fields in arrival order, names as sent; see ``header(_:)`` for case-insensitive lookup.
        public var headers: [(name: String, value: String)]
        public var body: [UInt8]
        /// The `model` field, if the body was a JSON object with a string model.
        public var model: String?
        /// The `stream` field (false when absent or not a boolean).
        public var stream: Bool
        public var provider: FakeProvider

        public init(
            method: String,
            path: String,
            uri: String,
            headers: [(name: String, value: String)],
            body: [UInt8],
            model: String?,
            stream: Bool,
            provider: FakeProvider
        ) {
            self.method = method
            self.path = path
            self.uri = uri
            self.headers = headers
            self.body = body
            self.model = model
            self.stream = stream
            self.provider = provider
        }

        /// The first value of the header named `name`, compared case-insensitively.
        public func header(_ name: String) -> String? {
            headers.first { $0.name.lowercased() == name.lowercased() }?.value
        }

        /// Every value of the header named `name`, compared case-insensitively.
        public func headerValues(_ name: String) -> [String] {
            headers.filter { $0.name.lowercased() == name.lowercased() }.map(\.value)
        }

        /// The body as UTF-8 text.
        public var bodyText: String { String(decoding: body, as: UTF8.self) }

        /// The body parsed with `JSONSerialization`, if it is a JSON object.
        public var jsonBody: [String: Any]? {
            (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any]
        }
    }
}
