#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A TCP socket on 127.0.0.1 that never accepts or answers.
///
/// Listening, the kernel completes the TCP handshake and then nothing happens; against an `https` URL this holds the
/// TLS handshake, the last part of the connect phase, so it is how a test makes the connect timeout expire. Bound but
/// not listening, it holds a port where connections are refused, which no test running in parallel can take over.
final class SilentListener {
    let port: Int
    private var descriptor: Int32

    init(listening: Bool = true) throws {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw SilentListenerError() }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(descriptor, raw, length) == 0 && (!listening || listen(descriptor, 16) == 0)
                    && getsockname(descriptor, raw, &length) == 0
            }
        }
        guard bound else {
            closeDescriptor(descriptor)
            throw SilentListenerError()
        }
        self.descriptor = descriptor
        self.port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() {
        if descriptor >= 0 {
            closeDescriptor(descriptor)
            descriptor = -1
        }
    }

    deinit {
        close()
    }
}

struct SilentListenerError: Error {}

private func closeDescriptor(_ descriptor: Int32) {
    _ = close(descriptor)
}
