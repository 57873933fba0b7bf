import CCurl
import CGatewayShims

/// A libcurl easy handle with its error buffer, pooled by `CurlMultiLoop` so a request does not pay for a fresh
/// handle. Used only on the curl thread.
struct CurlEasyHandle {
    let raw: UnsafeMutableRawPointer
    /// CURLOPT_ERRORBUFFER: libcurl's detailed message for the last failure ("Failed to connect to ... port ...").
    let errorBuffer: UnsafeMutablePointer<CChar>

    init?() {
        guard let raw = curl_easy_init() else { return nil }
        self.raw = raw
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    /// Frees the handle; it must not be in a multi handle.
    func destroy() {
        curl_easy_cleanup(raw)
        errorBuffer.deallocate()
    }

    /// Clears every option, ready for the next request. Connections live in the multi handle and are unaffected.
    func reset() {
        curl_easy_reset(raw)
        errorBuffer[0] = 0
    }

    /// libcurl's message for the last failure, or its generic text for `code` when the buffer is empty.
    func errorMessage(_ code: CURLcode) -> String {
        if errorBuffer[0] != 0 { return String(cString: errorBuffer) }
        return String(cString: curl_easy_strerror(code))
    }

    func getLong(_ info: CURLINFO) -> Int {
        var value = 0
        _ = CGatewayCurl_easy_getinfo_long(raw, info, &value)
        return value
    }

    /// Sets every option `transfer` needs. The callbacks are capture-free C functions that find the transfer through
    /// the unretained pointer in CURLOPT_WRITEDATA / CURLOPT_HEADERDATA.
    func prepare(for transfer: CurlTransfer, configuration: CurlHTTPClient.Configuration) -> CURLcode {
        let request = transfer.request
        let context = Unmanaged.passUnretained(transfer).toOpaque()
        var code = CURLE_OK
        func set(_ result: CURLcode) {
            if code == CURLE_OK { code = result }
        }
        func set(_ option: CURLoption, _ value: Int) {
            set(CGatewayCurl_easy_setopt_long(raw, option, value))
        }
        func set(_ option: CURLoption, _ value: String) {
            set(value.withCString { CGatewayCurl_easy_setopt_string(raw, option, $0) })
        }

        set(CGatewayCurl_easy_setopt_pointer(raw, CURLOPT_ERRORBUFFER, errorBuffer))
        set(CGatewayCurl_easy_setopt_pointer(raw, CURLOPT_PRIVATE, context))
        set(CURLOPT_URL, request.url)
        set(CURLOPT_PROTOCOLS_STR, "http,https")
        set(CURLOPT_FOLLOWLOCATION, 0)
        // Never raise signals from the curl thread (timeouts, DNS).
        set(CURLOPT_NOSIGNAL, 1)
        set(CURLOPT_HTTP_VERSION, configuration.http2 ? Int(CURL_HTTP_VERSION_2TLS) : Int(CURL_HTTP_VERSION_1_1))
        set(CURLOPT_CONNECTTIMEOUT_MS, Self.milliseconds(request.timeouts.connect))
        set(CURLOPT_TCP_KEEPALIVE, 1)
        set(CURLOPT_SSL_VERIFYPEER, 1)
        set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundlePath = configuration.caBundlePath { set(CURLOPT_CAINFO, caBundlePath) }
        if let userAgent = configuration.userAgent { set(CURLOPT_USERAGENT, userAgent) }
        if configuration.verbose { set(CURLOPT_VERBOSE, 1) }

        switch request.method {
        case "GET" where request.body.isEmpty:
            set(CURLOPT_HTTPGET, 1)
        case "HEAD":
            set(CURLOPT_NOBODY, 1)
        default:
            if request.method != "POST" { set(CURLOPT_CUSTOMREQUEST, request.method) }
            set(CGatewayCurl_easy_setopt_off_t(raw, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count)))
            set(CGatewayCurl_easy_setopt_pointer(raw, CURLOPT_POSTFIELDS, transfer.bodyBytes.baseAddress))
        }
        set(CGatewayCurl_easy_setopt_slist(raw, CURLOPT_HTTPHEADER, transfer.headerList))

        set(CGatewayCurl_easy_setopt_pointer(raw, CURLOPT_HEADERDATA, context))
        set(
            CGatewayCurl_easy_setopt_write_function(raw, CURLOPT_HEADERFUNCTION) { data, size, count, context in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
                transfer.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: size * count))
                return size * count
            }
        )
        set(CGatewayCurl_easy_setopt_pointer(raw, CURLOPT_WRITEDATA, context))
        set(
            CGatewayCurl_easy_setopt_write_function(raw, CURLOPT_WRITEFUNCTION) { data, size, count, context in
                let transfer = Unmanaged<CurlTransfer>.fromOpaque(context!).takeUnretainedValue()
                return transfer.receiveBody(UnsafeRawBufferPointer(start: data, count: size * count))
            }
        )
        return code
    }

    /// A duration in whole milliseconds, rounded up so that a positive timeout never becomes "none" (0).
    static func milliseconds(_ duration: Duration) -> Int {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 && attoseconds >= 0 else { return 1 }
        let millis = seconds.multipliedReportingOverflow(by: 1000)
        guard !millis.overflow else { return Int.max / 2 }
        return max(1, Int(millis.partialValue) + Int((attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000))
    }
}
