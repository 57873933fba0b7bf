import GatewayCore

/// The fields aigw reads from one OpenAI chat-completions document: a whole response (`chat.completion`, whose
/// choice holds a `message`) or one stream chunk (`chat.completion.chunk`, whose choice holds a `delta`). Both shapes
/// are read by the same code; only the choice's inner key differs.
struct OpenAIDocument {
    var id: String?
    var model: String?
    var usage: TokenUsage?
    var error: UpstreamErrorBody?
    /// Choice 0, when the document had one.
    var choice: Choice?

    struct Choice {
        var content: String?
        var refusal: String?
        var finishReason: String?
    }

    /// Reads one document from `r`; `choiceKey` is `"message"` for a response and `"delta"` for a chunk. Only choice 0
    /// is kept.
    static func read(_ r: inout JSONReader, choiceKey: StaticString) throws(JSONReaderError) -> OpenAIDocument {
        var document = OpenAIDocument()
        try r.readObject { key, r throws(JSONReaderError) in
            switch key {
            case "id": document.id = try r.readOptionalString()
            case "model": document.model = try r.readOptionalString()
            case "usage": document.usage = try OpenAIWire.readUsage(&r)
            case "error": document.error = r.readNull() ? nil : try UpstreamErrorBody.read(&r)
            case "choices":
                try r.readArray { r throws(JSONReaderError) in
                    var index = 0
                    var choice = Choice()
                    try r.readObject { key, r throws(JSONReaderError) in
                        switch key {
                        case "index": index = Int(try r.readOptionalCount() ?? 0)
                        case "finish_reason": choice.finishReason = try r.readOptionalString()
                        case _ where key == choiceKey:
                            if r.readNull() { return }
                            try r.readObject { key, r throws(JSONReaderError) in
                                switch key {
                                case "content": choice.content = try r.readOptionalString()
                                case "refusal": choice.refusal = try r.readOptionalString()
                                default: break
                                }
                            }
                        default: break
                        }
                    }
                    if index == 0 && document.choice == nil { document.choice = choice }
                }
            default: break
            }
        }
        return document
    }
}
