import GatewayCore

/// POSTs each alert as JSON to the operator's webhook through libcurl, retrying failures with exponential backoff.
///
/// A delivery is retried on a network error, a timeout, 408, 429 and 5xx; other 4xx answers mean the receiver
/// rejected the payload and are not retried. Retries wait 1 s, 2 s, 4 s ... (at most `maxDelay`), or the receiver's
/// `Retry-After` when it is shorter than a minute. The outcome of each delivery goes to `onResult` for the log.
public struct WebhookNotifier: AlertNotifier {
    public struct Settings: Sendable {
        public var url: String
        public var maxAttempts = 4
        public var baseDelay: Duration = .seconds(1)
        public var maxDelay: Duration = .seconds(30)
        public var timeout: Duration = .seconds(10)

        public init(url: String) {
            self.url = url
        }
    }

    /// What happened to one alert's delivery.
    public enum Result: Sendable {
        case delivered(attempts: Int)
        case failed(attempts: Int, lastError: String)
    }

    private let client: CurlHTTPClient
    private let settings: Settings
    private let onResult: @Sendable (Alert, Result) -> Void

    public init(
        client: CurlHTTPClient, settings: Settings, onResult: @escaping @Sendable (Alert, Result) -> Void = { _, _ in }
    ) {
        self.client = client
        self.settings = settings
        self.onResult = onResult
    }

    public func deliver(_ alert: Alert) async {
        let body = Self.payload(alert)
        var lastError = ""
        for attempt in 1...max(settings.maxAttempts, 1) {
            var hint: Duration?
            do {
                let response = try await client.execute(HTTPRequest(
                    method: "POST", url: settings.url,
                    headers: [("Content-Type", "application/json"), ("User-Agent", "aigw-alerts")], body: body,
                    timeouts: HTTPTimeouts(connect: settings.timeout, firstByte: settings.timeout,
                                           idle: settings.timeout, total: settings.timeout)))
                _ = try? await response.body.collect(upTo: 64 * 1024)
                if (200..<300).contains(response.status) {
                    onResult(alert, .delivered(attempts: attempt))
                    return
                }
                lastError = "HTTP \(response.status)"
                guard response.status == 408 || response.status == 429 || response.status >= 500 else { break }
                if let seconds = response.header("retry-after").flatMap(Int.init), (0...60).contains(seconds) {
                    hint = .seconds(seconds)
                }
            } catch {
                lastError = "\(error)"
            }
            guard attempt < settings.maxAttempts, !Task.isCancelled else { break }
            let backoff = min(settings.baseDelay * (1 << min(attempt - 1, 20)), settings.maxDelay)
            try? await Task.sleep(for: hint ?? backoff)
        }
        onResult(alert, .failed(attempts: settings.maxAttempts, lastError: lastError))
    }

    /// `{"id", "kind", "severity", "message", "subject", "raised_at_unix_ms", "details": {...}}`.
    static func payload(_ alert: Alert) -> [UInt8] {
        var json = JSONWriter()
        json.beginObject()
        json.key("id")
        json.string(alert.id)
        json.key("kind")
        json.string(alert.kind)
        json.key("severity")
        json.string(alert.severity.rawValue)
        json.key("message")
        json.string(alert.message)
        json.key("subject")
        json.string(alert.subject)
        json.key("raised_at_unix_ms")
        json.int(Int(alert.raisedAtMillis))
        json.key("details")
        json.beginObject()
        for (key, value) in alert.details.sorted(by: { $0.key < $1.key }) {
            json.key(key)
            json.string(value)
        }
        json.endObject()
        json.endObject()
        return json.bytes
    }
}
