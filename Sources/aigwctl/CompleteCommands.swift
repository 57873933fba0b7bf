import ArgumentParser
import Foundation
import GatewayClient
import GatewayWire

/// What `complete` and `stream` share: who is calling, what to ask, and which model.
struct CompletionOptions: ParsableArguments {
    @Option(help: "Model, e.g. gpt-4o-mini or claude-3-5-haiku.") var model: String = "gpt-4o-mini"
    @Option(help: "User id the call is charged and rate-limited to.") var user: String = "aigwctl"
    @Option(help: "Org id.") var org: String = ""
    @Option(help: "Endpoint: summarize, search, chat, embeddings or translation.") var endpoint: String = "chat"
    @Option(help: "System prompt.") var system: String?
    @Option(help: "Maximum output tokens.") var maxTokens: UInt32?
    @Option(help: "Sampling temperature, 0 to 2.") var temperature: Double?
    @Option(name: .customLong("fallback"), help: "A fallback model; repeat for a chain.") var fallbacks: [String] = []
    @Flag(help: "Allow falling back to the other provider.") var crossProvider = false
    @Argument(help: "The user message; '-' or nothing reads it from stdin.") var prompt: String?

    func request() throws -> Aigw_V1_CompleteRequest {
        var caller = Aigw_V1_Caller()
        caller.userId = user
        caller.orgId = org
        caller.endpoint = try Limits.endpoint(endpoint)
        var message = Aigw_V1_ChatMessage()
        message.role = .user
        if let prompt, prompt != "-" {
            message.content = prompt
        } else {
            message.content = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
        }
        var request = Aigw_V1_CompleteRequest()
        request.caller = caller
        request.model = model
        request.messages = [message]
        request.systemPrompt = system ?? ""
        request.maxTokens = maxTokens
        request.temperature = temperature
        request.fallbackModels = fallbacks
        request.allowCrossProviderFallback = crossProvider
        return request
    }
}

struct Complete: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Send one chat completion through aigw and print the answer.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: CompletionOptions

    func run() async throws {
        let request = try options.request()
        let response = try await connection.withClient { client, callOptions in
            try await client.call(Aigw_V1_Gateway.complete, request, options: callOptions)
        }
        if connection.json {
            try connection.printJSON(response)
            return
        }
        print(response.content)
        let usage = response.usage ?? Aigw_V1_Usage()
        FileHandle.standardError.write(Data(
            ("[\(shortName(response.provider.protoName, "PROVIDER_"))/\(response.model) "
                + "finish=\(shortName(response.finishReason.protoName, "FINISH_REASON_")) "
                + "input=\(usage.inputTokens) cached=\(usage.cachedInputTokens) output=\(usage.outputTokens) "
                + "attempts=\(response.attempts.count) latency=\(response.latencyMs)ms]\n").utf8))
    }
}

struct Stream: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Stream one chat completion through aigw, printing tokens as they arrive.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var options: CompletionOptions

    func run() async throws {
        let request = try options.request()
        try await connection.withClient { client, callOptions in
            for try await event in client.stream(Aigw_V1_Gateway.stream, request, options: callOptions) {
                if connection.json {
                    try connection.printJSON(event)
                    continue
                }
                switch event.event {
                case .delta(let delta):
                    FileHandle.standardOutput.write(Data(delta.text.utf8))
                case .end(let end):
                    let usage = end.usage ?? Aigw_V1_Usage()
                    print()
                    FileHandle.standardError.write(Data(
                        ("[finish=\(shortName(end.finishReason.protoName, "FINISH_REASON_")) "
                            + "input=\(usage.inputTokens) output=\(usage.outputTokens) "
                            + "attempts=\(end.attempts.count)]\n").utf8))
                case .start, nil:
                    break
                }
            }
        }
    }
}
