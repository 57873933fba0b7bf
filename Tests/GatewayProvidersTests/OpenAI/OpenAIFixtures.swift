/// OpenAI wire shapes, copied from the API reference's examples (Chat Completions object, chunk stream with
/// `stream_options.include_usage`, prompt caching usage, error objects).
enum OpenAIFixtures {
    static let completion = """
        {
          "id": "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
          "object": "chat.completion",
          "created": 1741569952,
          "model": "gpt-4o-2024-08-06",
          "choices": [
            {
              "index": 0,
              "message": {
                "role": "assistant",
                "content": "Hello! How can I assist you today?",
                "refusal": null,
                "annotations": []
              },
              "logprobs": null,
              "finish_reason": "stop"
            }
          ],
          "usage": {
            "prompt_tokens": 2006,
            "completion_tokens": 300,
            "total_tokens": 2306,
            "prompt_tokens_details": {
              "cached_tokens": 1920,
              "audio_tokens": 0
            },
            "completion_tokens_details": {
              "reasoning_tokens": 0,
              "audio_tokens": 0,
              "accepted_prediction_tokens": 0,
              "rejected_prediction_tokens": 0
            }
          },
          "service_tier": "default",
          "system_fingerprint": "fp_44709d6fcb"
        }
        """

    /// A stream with `include_usage`: a role chunk, content chunks, the finish chunk, the usage chunk, `[DONE]`.
    static let stream = """
        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"Hello"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":" wörld 🌍"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{"content":"!\\n"},"logprobs":null,"finish_reason":null}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}

        data: {"id":"chatcmpl-123","object":"chat.completion.chunk","created":1694268190,"model":"gpt-4o-mini", "system_fingerprint": "fp_44709d6fcb", "choices":[],"usage":{"prompt_tokens":2006,"completion_tokens":300,"total_tokens":2306,"prompt_tokens_details":{"cached_tokens":1920,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}}}

        data: [DONE]


        """

    static func error(_ message: String, type: String, code: String?, param: String? = nil) -> String {
        let code = code.map { "\"\($0)\"" } ?? "null"
        let param = param.map { "\"\($0)\"" } ?? "null"
        return """
            {
              "error": {
                "message": "\(message)",
                "type": "\(type)",
                "param": \(param),
                "code": \(code)
              }
            }
            """
    }

    static let invalidAPIKey = error(
        "Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.",
        type: "invalid_request_error", code: "invalid_api_key")
    static let contextLengthExceeded = error(
        "This model's maximum context length is 128000 tokens. However, your messages resulted in 130532 tokens. "
            + "Please reduce the length of the messages.",
        type: "invalid_request_error", code: "context_length_exceeded", param: "messages")
    static let rateLimited = error(
        "Rate limit reached for gpt-4o in organization org-xyz on tokens per min (TPM): Limit 30000, Used 29844, "
            + "Requested 1230. Please try again in 2.148s.",
        type: "tokens", code: "rate_limit_exceeded")
    static let insufficientQuota = error(
        "You exceeded your current quota, please check your plan and billing details.", type: "insufficient_quota",
        code: "insufficient_quota")
    static let modelNotFound = error(
        "The model `gpt-5-turbo` does not exist or you do not have access to it.", type: "invalid_request_error",
        code: "model_not_found")
    static let unsupportedRegion = error(
        "Country, region, or territory not supported", type: "request_forbidden",
        code: "unsupported_country_region_territory")
    static let serverError = error(
        "The server had an error while processing your request. Sorry about that!", type: "server_error", code: nil)
    static let engineOverloaded = error(
        "The engine is currently overloaded, please try again later.", type: "server_error", code: nil)

    /// What a proxy in front of the API answers when the upstream is down.
    static let htmlBadGateway =
        "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>"
        + "\r\n<hr><center>cloudflare</center>\r\n</body>\r\n</html>\r\n"
}
