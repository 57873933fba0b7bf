#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import GatewayCore

/// The Unix socket's file: a file left by a crashed server is removed, but a live server's socket is never taken
/// over, and the bound socket gets mode 0660 so only the owner and its group can call Admin methods through it.
enum UnixSocketFile {
    static let mode: mode_t = 0o660

    /// Makes `path` bindable: fails if another process accepts on it, removes it if nobody does.
    static func prepare(_ path: String) throws {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard (info.st_mode & S_IFMT) == S_IFSOCK else {
            throw GatewayError(.failedPrecondition, "\(path) exists and is not a socket; refusing to replace it",
                               reason: "socket_path_not_socket")
        }
        if isAccepting(path) {
            throw GatewayError(.failedPrecondition, "another process is listening on \(path)",
                               reason: "socket_in_use")
        }
        unlink(path)
    }

    static func restrictMode(_ path: String) throws {
        guard chmod(path, mode) == 0 else {
            throw GatewayError(.internalError, "chmod \(path) failed: errno \(errno)")
        }
    }

    static func remove(_ path: String) {
        unlink(path)
    }

    private static func isAccepting(_ path: String) -> Bool {
        #if canImport(Glibc)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #else
        let fd = socket(AF_UNIX, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else { return false }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        return result == 0
    }
}
