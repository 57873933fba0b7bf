import CCurl

extension HTTPClientError {
    /// Sorts a libcurl result code into a `Kind`. CURLE_OPERATION_TIMEDOUT can only be the connect timeout, because
    /// that is the one timeout the client leaves to libcurl.
    init(curlCode code: CURLcode, message: String) {
        let kind: Kind
        switch code {
        case CURLE_UNSUPPORTED_PROTOCOL, CURLE_URL_MALFORMAT, CURLE_BAD_FUNCTION_ARGUMENT, CURLE_NOT_BUILT_IN,
            CURLE_BAD_CONTENT_ENCODING:
            kind = .invalidRequest
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY, CURLE_COULDNT_CONNECT:
            kind = .connect
        case CURLE_OPERATION_TIMEDOUT:
            kind = .timeout(.connect)
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER,
            CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR, CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE, CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_SHUTDOWN_FAILED, CURLE_SSL_CLIENTCERT:
            kind = .tls
        default:
            // Resets, receive and send errors, cut bodies (CURLE_PARTIAL_FILE), no response (CURLE_GOT_NOTHING),
            // HTTP/2 stream and framing errors, garbage instead of HTTP.
            kind = .network
        }
        self.init(kind, curlCode: Int32(bitPattern: code.rawValue), message: message)
    }
}
