/// Anthropic wire shapes, copied from the Messages API reference and the streaming and prompt caching guides.
enum AnthropicFixtures {
    static let message = """
        {
          "content": [
            {
              "text": "Hi! My name is Claude.",
              "type": "text"
            }
          ],
          "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
          "model": "claude-3-5-sonnet-20241022",
          "role": "assistant",
          "stop_reason": "end_turn",
          "stop_sequence": null,
          "type": "message",
          "usage": {
            "input_tokens": 21,
            "cache_creation_input_tokens": 188086,
            "cache_read_input_tokens": 1800,
            "output_tokens": 393
          }
        }
        """

    /// The streaming guide's basic stream, with cache usage in `message_start`.
    static let stream = """
        event: message_start
        data: {"type": "message_start", "message": {"id": "msg_1nZdL29xx5MUA1yADyHTEsnR8uuvGzszyY", "type": "message", "role": "assistant", "content": [], "model": "claude-3-5-sonnet-20241022", "stop_reason": null, "stop_sequence": null, "usage": {"input_tokens": 25, "cache_creation_input_tokens": 248, "cache_read_input_tokens": 1800, "output_tokens": 1}}}

        event: content_block_start
        data: {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hello"}}

        event: content_block_delta
        data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": " wörld 🌍"}}

        event: content_block_delta
        data: {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "!\\n"}}

        event: content_block_stop
        data: {"type": "content_block_stop", "index": 0}

        event: message_delta
        data: {"type": "message_delta", "delta": {"stop_reason": "end_turn", "stop_sequence":null}, "usage": {"output_tokens": 15}}

        event: message_stop
        data: {"type": "message_stop"}


        """

    /// A tool-use stream's blocks (the guide's `input_json_delta` example): none of it is text.
    static let toolUseBlocks = """
        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\": \\"San Fra"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}


        """

    static func error(_ type: String, _ message: String) -> String {
        """
        {
          "type": "error",
          "error": {
            "type": "\(type)",
            "message": "\(message)"
          },
          "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy"
        }
        """
    }

    static let overloadedEvent = """
        event: error
        data: {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


        """
}
