/// Why an `SSEParser` stopped. A struct with a code so new failure kinds can be added without breaking callers.
public struct SSEParserError: Error, Sendable, Hashable, CustomStringConvertible {
    public struct Code: Sendable, Hashable, CustomStringConvertible {
        private let name: String
        private init(_ name: String) { self.name = name }

        /// One event (its data plus the line being read) grew past the parser's `maxEventBytes`.
        public static let eventTooLarge = Code("event_too_large")

        public var description: String { name }
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code): \(message)" }
}
