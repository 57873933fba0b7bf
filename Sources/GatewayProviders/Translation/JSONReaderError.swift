/// A JSON document `JSONReader` could not read: where and why. Translators turn it into a `ProviderError`.
struct JSONReaderError: Error, Sendable, Hashable, CustomStringConvertible {
    var message: String
    /// Byte offset into the document.
    var offset: Int

    init(_ message: String, at offset: Int) {
        self.message = message
        self.offset = offset
    }

    var description: String { "\(message) at byte \(offset)" }
}
