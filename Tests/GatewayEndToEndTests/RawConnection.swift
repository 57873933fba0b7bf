import Foundation
import GatewayWire
import NIOCore

/// A blocking socket that sends arbitrary bytes, for inputs the real client would never produce.
final class RawConnection {
    let fd: Int32

    init(unixPath: String) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: unixPath.utf8)
            raw[unixPath.utf8.count] = 0
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard rc == 0 else { throw TestFailure("connect \(unixPath): errno \(errno)") }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Foundation.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            offset += n
        }
    }

    func send(_ frame: Aigw_V1_Frame) {
        var buffer = ByteBuffer()
        buffer.writeFrame(frame)
        send(Array(buffer.readableBytesView))
    }

    func hello(min: UInt32 = 1, max: UInt32 = 1) {
        var hello = Aigw_V1_Hello()
        hello.minVersion = min
        hello.maxVersion = max
        hello.clientName = "raw-test"
        send(.with(0, .hello(hello)))
    }

    /// The next frame, or nil at end of stream.
    func readFrame() throws -> Aigw_V1_Frame? {
        guard let prefix = try readExactly(4) else { return nil }
        let length = prefix.reduce(0) { $0 << 8 | Int($1) }
        guard let body = try readExactly(length) else { throw TestFailure("connection closed mid-frame") }
        return try Aigw_V1_Frame(serializedBytes: body)
    }

    /// True when the server has closed the connection (reads end-of-stream).
    func isClosedByPeer() -> Bool {
        var byte: UInt8 = 0
        return recv(fd, &byte, 1, 0) == 0
    }

    private func readExactly(_ count: Int) throws -> [UInt8]? {
        var out = [UInt8](repeating: 0, count: count)
        var got = 0
        while got < count {
            let n = out.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + got, count - got, 0) }
            if n == 0 {
                if got == 0 { return nil }
                throw TestFailure("connection closed after \(got) of \(count) bytes")
            }
            if n < 0 { throw TestFailure("recv failed: errno \(errno)") }
            got += n
        }
        return out
    }
}
